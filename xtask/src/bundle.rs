//! `cargo xtask bundle`: the desktop application's packages for the system it runs on, through
//! the Tauri CLI (`@tauri-apps/cli`, a devDependency of `ui/`), with the system's configuration
//! from `installers/` merged over `src-tauri/tauri.conf.json`:
//!
//! | system | packages | configuration |
//! |---|---|---|
//! | Linux | deb, rpm (the AppImage bundler downloads a tool at build time: not built) | — |
//! | Windows | MSI (WiX), NSIS setup | `installers/windows/tauri.windows.conf.json` |
//! | macOS | app, DMG | `installers/macos/tauri.macos.conf.json` |
//!
//! The release pipeline (`.github/workflows/release.yml`) runs it on each system.

use anyhow::{bail, Result};
use xtask::{npm, root, run as sh, target_dir};

/// What one system bundles: Tauri's bundle names, the extra configuration, the package
/// extensions to report.
struct Plan {
    bundles: &'static str,
    config: Option<&'static str>,
    outputs: &'static [(&'static str, &'static str)],
}

fn plan() -> Plan {
    if cfg!(windows) {
        Plan {
            bundles: "msi,nsis",
            config: Some("installers/windows/tauri.windows.conf.json"),
            outputs: &[("msi", "msi"), ("nsis", "exe")],
        }
    } else if cfg!(target_os = "macos") {
        Plan {
            bundles: "app,dmg",
            config: Some("installers/macos/tauri.macos.conf.json"),
            outputs: &[("dmg", "dmg")],
        }
    } else {
        Plan {
            bundles: "deb,rpm",
            config: None,
            outputs: &[("deb", "deb"), ("rpm", "rpm")],
        }
    }
}

/// Builds the front end, then `tauri build --bundles …` (a release build of `sceau-desktop`);
/// prints the packages made.
pub fn run() -> Result<()> {
    if cfg!(target_os = "linux") {
        crate::setup::packages()?;
    }
    xtask::ui::build()?;
    let plan = plan();
    let mut cmd = npm();
    cmd.arg("--prefix").arg(root().join("ui")).args([
        "exec",
        "--",
        "tauri",
        "build",
        "--bundles",
        plan.bundles,
    ]);
    if let Some(config) = plan.config {
        cmd.arg("--config").arg(root().join(config));
    }
    sh(cmd
        .current_dir(root().join("src-tauri"))
        .env("CARGO_TARGET_DIR", target_dir()))?;
    let mut made = Vec::new();
    for (dir, ext) in plan.outputs {
        let dir = target_dir().join("release/bundle").join(dir);
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == *ext) {
                let size = p.metadata().map(|m| m.len()).unwrap_or(0);
                made.push(format!("{} ({:.1} MB)", p.display(), size as f64 / 1e6));
            }
        }
    }
    if made.is_empty() {
        bail!(
            "no package was made under {}",
            target_dir().join("release/bundle").display()
        );
    }
    for m in made {
        println!("{m}");
    }
    Ok(())
}
