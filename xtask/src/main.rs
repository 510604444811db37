//! `cargo xtask`: the project's automation, in Rust so that it runs the same everywhere.
//!
//! This binary links no system library: on a machine that has only Rust it builds at once, then
//! installs what the rest needs (`setup`) and runs the heavy parts as separate cargo
//! invocations of `sceau-devtools` (the matklad xtask pattern).
//!
//! - `setup`: install the system packages the project needs (Debian/Ubuntu), idempotent;
//! - `test`: everything CI checks;
//! - `demo`: the main job on an embedded default;
//! - `bundle`: the desktop application's packages for this system;
//! - `bench NAME`: benchmarks that compare against a reference tool in the same run.

mod bundle;
mod fuzz;
mod setup;
mod test;

use std::process::ExitCode;

use anyhow::Result;
use xtask::{cargo, run as sh};

const USAGE: &str = "usage: cargo xtask <setup|test|demo|bundle|bench NAME|fuzz pdfa [SECONDS]>

  setup        install what the project needs: Debian/Ubuntu packages (as root, or with sudo),
               Node.js >= 20.19 (from PyPI when the system's is older), moto, tauri-driver
  test         everything CI checks: formatting, clippy -D warnings, the front end (ui/), all tests
  demo         the main job: a demo office key (étude 9991), the embedded vault, services end to end
  bundle       the desktop application's packages for this system (Linux: deb, rpm; Windows:
               MSI, NSIS; macOS: app, DMG) through the Tauri CLI
  bench app    the desktop window (release, Xvfb): cold start to the dashboard, memory with 100,000 services
  bench sign   token signatures/s vs full CAdES signatures/s vs `openssl cms -sign`
  bench pdfa   native PDF/A-1b route vs Ghostscript, peak memory on 50 MB, LibreOffice vs soffice
  bench vault  deposits/s and p50/p99 from 16 mTLS clients (SQLite+files, PostgreSQL+S3); verify-journal events/s
  bench portal portal list/download p50/p99 under 50 recipients; notifications/s to a local SMTP server
  bench store  local store with 1,000,000 services: p95 of dashboard counts and first search pages
  bench upload a 20 MB package through sceau-client (token key) vs curl (same certificate), MB/s
  bench edi    EDI batches of 1,000 and 3,000 lines through `sceau edi import` (SoftHSM key, local
               vault): wall time vs each stage alone (signatures, conversion / cores, upload), peak memory
  fuzz pdfa    fuzz the PDF reading path (cargo-fuzz, default 60 s)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        Some("test") => test::run(&args[1..]),
        Some("demo") => demo(),
        Some("bundle") => bundle::run(),
        Some("bench") => bench(&args[1..]),
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

/// `cargo xtask demo`: setup, then the demo in `sceau-devtools` (debug build: the demo's
/// binaries are debug builds too, and that is what `cargo xtask test` has already compiled).
fn demo() -> Result<()> {
    setup::run()?;
    sh(cargo().args([
        "run",
        "--quiet",
        "--locked",
        "-p",
        "sceau-devtools",
        "--",
        "demo",
    ]))
}

/// The benchmarks of `cargo xtask bench NAME`.
const BENCHES: [&str; 8] = [
    "app", "sign", "pdfa", "vault", "store", "portal", "upload", "edi",
];

/// `cargo xtask bench NAME`: setup, then the measuring side in an optimised build of
/// `sceau-devtools`, so that the numbers are not those of a debug build. `bench app` measures
/// the release window; its driver side stays a debug build.
fn bench(args: &[String]) -> Result<()> {
    let usage = || anyhow::anyhow!("usage: cargo xtask bench {}", BENCHES.join("|"));
    let Some(name) = args.first().map(String::as_str) else {
        return Err(usage());
    };
    if !BENCHES.contains(&name) {
        return Err(usage());
    }
    setup::run()?;
    let mut cmd = cargo();
    cmd.args(["run", "--quiet", "--locked", "-p", "sceau-devtools"]);
    if name != "app" {
        cmd.arg("--release");
    }
    sh(cmd.args(["--", "bench"]).args(args))
}
