//! `sceau-devtools`: the demo and the benchmarks of `cargo xtask`, which need the project's
//! crates and so the system libraries they link. `cargo xtask` runs `setup` first and then this
//! program as a separate cargo invocation; run it through `cargo xtask`, not by hand.
//!
//! - `demo`: the main job on an embedded default (see [`demo`]);
//! - `bench NAME`: the measuring side of `cargo xtask bench NAME`;
//! - `fuzz-seeds DIR`: the seed PDFs of `cargo xtask fuzz pdfa`.

mod bench;
mod bench_app;
mod bench_edi;
mod bench_pdfa;
mod bench_portal;
mod bench_store;
mod bench_upload;
mod bench_vault;
mod demo;
mod local;

use std::process::ExitCode;

use anyhow::{bail, Context, Result};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo::run(),
        Some("bench") => bench::run(&args[1..]),
        Some("fuzz-seeds") => fuzz_seeds(args.get(1).map(String::as_str)),
        _ => {
            eprintln!(
                "usage: sceau-devtools demo|bench NAME|fuzz-seeds DIR (run through cargo xtask)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sceau-devtools: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the fuzzer's seeds into `dir`: a small PDF from the test support and its PDF/A-1b
/// conversion.
fn fuzz_seeds(dir: Option<&str>) -> Result<()> {
    let Some(dir) = dir else {
        bail!("usage: sceau-devtools fuzz-seeds DIR");
    };
    let dir = std::path::Path::new(dir);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let simple = sceau_testsupport::corpus::simple_pdf("Acte", &["Commandement de payer"]);
    std::fs::write(dir.join("seed-simple.pdf"), &simple)?;
    let pdfa = sceau_pdfa::convert_native(&simple).context("converting the seed to PDF/A-1b")?;
    std::fs::write(dir.join("seed-simple-pdfa.pdf"), pdfa)?;
    Ok(())
}
