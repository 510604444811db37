//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use std::process::Command;

use anyhow::Result;

use xtask::{cargo, cargo_program, run as sh};

/// Formatting, lints, the optional YubiKey feature, the front end, then every test with the real components.
pub fn run_all(extra: &[String]) -> Result<()> {
    crate::setup::run()?;
    sh(cargo().args(["fmt", "--all", "--check"]))?;
    sh(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;
    sh(cargo().args([
        "clippy",
        "-p",
        "sceau-token",
        "--features",
        "yubikey",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;
    deny()?;
    // The desktop front end: svelte-check + tsc, Vitest, the production build.
    xtask::ui::check()?;
    // nextest runs each test in its own process (SoftHSM reads its configuration from the
    // environment); plain `cargo test` also works, the tests serialise on a lock.
    let nextest = Command::new(cargo_program())
        .args(["nextest", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if nextest {
        // Doc tests first, so that the run closes on nextest's summary of all the tests.
        sh(cargo().args(["test", "--workspace", "--locked", "--doc"]))?;
        sh(cargo()
            .args([
                "nextest",
                "run",
                "--workspace",
                "--locked",
                "--no-fail-fast",
            ])
            .args(extra))?;
    } else {
        sh(cargo()
            .args(["test", "--workspace", "--locked", "--no-fail-fast"])
            .args(extra))?;
    }
    Ok(())
}

/// Entry point of `cargo xtask test [ARGS]` (extra arguments go to the test runner).
pub fn run(extra: &[String]) -> Result<()> {
    run_all(extra)
}

/// The dependency tree against `deny.toml`: licences, banned crates and sources always; the
/// RustSec advisories when a copy of their database is present — it comes from GitHub, which
/// these machines do not reach, so its absence is said, not failed.
fn deny() -> Result<()> {
    sh(cargo().args(["deny", "--locked", "check", "licenses", "bans", "sources"]))?;
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")));
    let db = home.map(|h| h.join("advisory-dbs"));
    // A database is a folder in there (cargo-deny also leaves a lock file when it fails).
    let present = db
        .as_ref()
        .and_then(|d| std::fs::read_dir(d).ok())
        .is_some_and(|mut entries| entries.any(|e| e.is_ok_and(|e| e.path().is_dir())));
    if present {
        sh(cargo().args(["deny", "--offline", "--locked", "check", "advisories"]))
    } else {
        eprintln!(
            "xtask: RustSec advisories not checked: no copy of the advisory database in {} \
             (run `cargo deny fetch` where GitHub is reachable); the advisories judged are \
             listed in deny.toml",
            db.map_or("CARGO_HOME".into(), |d| d.display().to_string())
        );
        Ok(())
    }
}
