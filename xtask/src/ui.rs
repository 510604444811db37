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
    if dist_is_current(&dir) {
        return Ok(());
    }
    sh(Command::new("npm").args(["run", "build"]).current_dir(&dir))
}

/// The sources of the production build, beside `ui/` (`src/` and the tool configuration).
const SOURCES: &[&str] = &[
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "svelte.config.js",
    "tsconfig.json",
    "tsconfig.node.json",
    "vite.config.ts",
];

/// Whether `dir/dist/index.html` was written after the last change of any source.
fn dist_is_current(dir: &std::path::Path) -> bool {
    let Ok(built) = dir
        .join("dist/index.html")
        .metadata()
        .and_then(|m| m.modified())
    else {
        return false;
    };
    SOURCES
        .iter()
        .filter_map(|s| newest_change(&dir.join(s)))
        .all(|changed| changed < built)
}

/// The latest modification time of `path` or of anything under it (`None` if absent).
fn newest_change(path: &std::path::Path) -> Option<std::time::SystemTime> {
    let meta = path.metadata().ok()?;
    let own = meta.modified().ok();
    if !meta.is_dir() {
        return own;
    }
    let children = std::fs::read_dir(path).ok()?;
    children
        .filter_map(|e| e.ok())
        .filter_map(|e| newest_change(&e.path()))
        .chain(own)
        .max()
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

    #[test]
    fn the_front_end_is_built_again_only_after_a_source_changed() {
        use std::time::{Duration, SystemTime};
        let set = |path: &std::path::Path, at: SystemTime| {
            // Read-only is enough for the owner, and opens directories too.
            std::fs::File::open(path).unwrap().set_modified(at).unwrap();
        };
        let dir = tempfile::tempdir().unwrap();
        let t0 = SystemTime::now() - Duration::from_secs(3600);
        std::fs::create_dir_all(dir.path().join("src/lib")).unwrap();
        let source = dir.path().join("src/lib/list.ts");
        std::fs::write(&source, "export {}").unwrap();
        set(&source, t0);
        assert!(!super::dist_is_current(dir.path()), "never built");
        std::fs::create_dir_all(dir.path().join("dist")).unwrap();
        let index = dir.path().join("dist/index.html");
        std::fs::write(&index, "<html>").unwrap();
        set(&index, t0 + Duration::from_secs(60));
        // Directories' own times count too (a file removed): set them in the past.
        for d in ["src/lib", "src"] {
            set(&dir.path().join(d), t0);
        }
        assert!(super::dist_is_current(dir.path()));
        set(&source, t0 + Duration::from_secs(120));
        assert!(
            !super::dist_is_current(dir.path()),
            "a source changed after the build"
        );
    }
}
