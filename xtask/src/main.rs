//! `cargo xtask`: the project's automation, in Rust so that it runs the same everywhere.
//!
//! - `setup`: install the system packages the project needs (Debian/Ubuntu), idempotent;
//! - `test`: everything CI checks;
//! - `demo`: the main job on an embedded default (today: a demo token, sign and verify an act);
//! - `bundle`: the desktop application's Linux packages (deb, rpm);
//! - `bench NAME`: benchmarks that compare against a reference tool in the same run.

mod bench;
mod bench_app;
mod bench_pdfa;
mod bench_portal;
mod bench_store;
mod bench_upload;
mod bench_vault;
mod bundle;
mod demo;
mod fuzz;
mod setup;
mod test;
mod ui;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

const USAGE: &str = "usage: cargo xtask <setup|test|demo|bundle|bench NAME|fuzz pdfa [SECONDS]>

  setup        install the Debian/Ubuntu packages the project needs (as root, or with sudo)
  test         everything CI checks: formatting, clippy -D warnings, the front end (ui/), all tests
  demo         create a demo office token (étude 9991) and sign and verify a sample act
  bundle       the desktop application's Linux packages (deb, rpm) through the Tauri CLI
  bench app    the desktop window (release, Xvfb): cold start to the dashboard, memory with 100,000 services
  bench sign   token signatures/s vs full CAdES signatures/s vs `openssl cms -sign`
  bench pdfa   native PDF/A-1b route vs Ghostscript, peak memory on 50 MB, LibreOffice vs soffice
  bench vault  deposits/s and p50/p99 from 16 mTLS clients (SQLite+files, PostgreSQL+S3); verify-journal events/s
  bench portal portal list/download p50/p99 under 50 recipients; notifications/s to a local SMTP server
  bench store  local store with 1,000,000 services: p95 of dashboard counts and first search pages
  bench upload a 20 MB package through sceau-client (token key) vs curl (same certificate), MB/s
  fuzz pdfa    fuzz the PDF reading path (cargo-fuzz, default 60 s)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        Some("test") => test::run(&args[1..]),
        Some("demo") => demo::run(),
        Some("bundle") => bundle::run(),
        Some("bench") => bench::run(&args[1..]),
        Some("bench-run") => bench::run_inner(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's directory).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The cargo the xtask was started with.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Runs `cmd`, echoing it, and fails if it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", display(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("starting {}", display(cmd)))?;
    if !status.success() {
        bail!("{} failed ({status})", display(cmd));
    }
    Ok(())
}

fn display(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The cargo target directory in use.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}
