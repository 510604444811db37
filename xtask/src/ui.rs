//! The desktop front end (`ui/`): type check, Vitest unit tests and the production build.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{root, run as sh};

/// Oldest Node.js the front end's tool chain (Vite 8, Vitest 4) runs on.
const NODE_MIN: (u32, u32) = (20, 19);

/// `npm ci` when needed, then `npm run check`, `npm test` and `npm run build` in `ui/`.
pub fn check() -> Result<()> {
    let dir = install()?;
    for script in [["run", "check"], ["run", "test"], ["run", "build"]] {
        sh(Command::new("npm").args(script).current_dir(&dir))?;
    }
    Ok(())
}

/// The production build of `ui/` only (`ui/dist`, embedded by `sceau-desktop`).
/// Skipped when `ui/dist` is newer than every source of the front end: a new `dist` makes
/// cargo embed it again, which for the release window means a whole link-time optimisation.
pub fn build() -> Result<()> {
    let dir = install()?;
    if sceau_desktop_tests::front_end_is_built(&dir) {
        return Ok(());
    }
    sh(Command::new("npm").args(["run", "build"]).current_dir(&dir))
}

/// `npm ci` in `ui/` when `node_modules` is older than the lock file; returns `ui/`.
fn install() -> Result<std::path::PathBuf> {
    require_node()?;
    let dir = root().join("ui");
    let stamp = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let fresh = match (stamp.metadata(), lock.metadata()) {
        (Ok(s), Ok(l)) => s.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if !fresh {
        sh(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir))?;
    }
    Ok(dir)
}

fn require_node() -> Result<()> {
    let out = Command::new("node").arg("--version").output().context(
        "Node.js is needed for the desktop front end (ui/): install Node.js 20.19 or later",
    )?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = parse_version(text.trim());
    match version {
        Some(v) if v >= NODE_MIN => Ok(()),
        _ => bail!(
            "Node.js {}.{} or later is needed for ui/ (found {:?})",
            NODE_MIN.0,
            NODE_MIN.1,
            text.trim()
        ),
    }
}

fn parse_version(s: &str) -> Option<(u32, u32)> {
    let mut parts = s.trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::parse_version;

    #[test]
    fn node_versions_are_read() {
        assert_eq!(parse_version("v20.20.2"), Some((20, 20)));
        assert_eq!(parse_version("v18.19.0"), Some((18, 19)));
        assert!(parse_version("v18.19.0").unwrap() < super::NODE_MIN);
        assert_eq!(parse_version("garbage"), None);
    }
}
