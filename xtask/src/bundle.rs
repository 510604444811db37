//! `cargo xtask bundle`: the desktop application's Linux packages (deb and rpm) through the
//! Tauri CLI (`@tauri-apps/cli`, a devDependency of `ui/`). The AppImage bundler downloads a
//! tool at build time, so it is not built. Windows and macOS configurations: `installers/`.

use std::process::Command;

use anyhow::{bail, Result};

use crate::{root, run as sh, target_dir};

/// Builds the front end, then `tauri build --bundles deb,rpm` (a release build of
/// `sceau-desktop`); prints the packages made.
pub fn run() -> Result<()> {
    crate::setup::run()?;
    crate::ui::build()?;
    let tauri = root().join("ui/node_modules/.bin/tauri");
    if !tauri.is_file() {
        bail!("the Tauri CLI is missing: run `npm ci` in ui/");
    }
    sh(Command::new(&tauri)
        .args(["build", "--bundles", "deb,rpm"])
        .current_dir(root().join("src-tauri"))
        .env("CARGO_TARGET_DIR", target_dir()))?;
    let mut made = Vec::new();
    for kind in ["deb", "rpm"] {
        let dir = target_dir().join("release/bundle").join(kind);
        for e in std::fs::read_dir(&dir)?.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == kind) {
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
