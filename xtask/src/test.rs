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
