//! `cargo xtask fuzz pdfa [SECONDS]`: cargo-fuzz (libFuzzer) on the PDF reading path of
//! `sceau-pdfa` for a bounded time.
//!
//! cargo-fuzz wants nightly; on stable Rust `RUSTC_BOOTSTRAP=1` unlocks the `-Z` flags it
//! passes. The sanitizer is off (`-s none`): the workspace forbids `unsafe`, so what the fuzzer
//! looks for here is panics, hangs and runaway memory, which libFuzzer reports by itself.
//! Crashes land in `crates/pdfa/fuzz/artifacts/read_pdf/`; each one is fixed and copied to
//! `crates/pdfa/tests/fuzz-regressions/`, which a normal test replays.

use std::process::Command;

use anyhow::{bail, Result};

use xtask::{cargo, cargo_program, root, run as sh};

/// `cargo xtask fuzz pdfa [SECONDS]`.
pub fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("pdfa") => {
            let seconds: u64 = match args.get(1) {
                Some(s) => s.parse()?,
                None => 60,
            };
            pdfa(seconds)
        }
        _ => bail!("usage: cargo xtask fuzz pdfa [SECONDS]"),
    }
}

fn cargo_fuzz_installed() -> bool {
    Command::new(cargo_program())
        .args(["fuzz", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn pdfa(seconds: u64) -> Result<()> {
    crate::setup::run()?;
    if !cargo_fuzz_installed() {
        sh(Command::new(cargo_program()).args(["install", "cargo-fuzz", "--locked"]))?;
    }
    let crate_dir = root().join("crates/pdfa");
    // Seeds: a small PDF from the test support, its PDF/A-1b conversion, and every regression.
    let seeds = crate_dir.join("fuzz/corpus/read_pdf");
    sh(cargo()
        .args([
            "run",
            "--quiet",
            "--locked",
            "-p",
            "sceau-devtools",
            "--",
            "fuzz-seeds",
        ])
        .arg(&seeds))?;
    let regressions = crate_dir.join("tests/fuzz-regressions");
    if let Ok(entries) = std::fs::read_dir(&regressions) {
        for e in entries.flatten() {
            std::fs::copy(e.path(), seeds.join(e.file_name()))?;
        }
    }
    let mut cmd = Command::new(cargo_program());
    cmd.current_dir(&crate_dir)
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "run", "-s", "none", "read_pdf"])
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .args(["-rss_limit_mb=2048", "-max_len=262144", "-timeout=20"]);
    let result = sh(&mut cmd);
    let artifacts = crate_dir.join("fuzz/artifacts/read_pdf");
    if let Ok(entries) = std::fs::read_dir(&artifacts) {
        for e in entries.flatten() {
            eprintln!(
                "fuzz: finding {} — fix it, then keep it under {}",
                e.path().display(),
                regressions.display()
            );
        }
    }
    result
}
