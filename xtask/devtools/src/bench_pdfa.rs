//! `cargo xtask bench pdfa`: the native PDF/A-1b route against Ghostscript on the born-digital
//! PDFs of the corpus (same run, Preflight on both outputs), peak memory on a 50 MB PDF, and
//! LibreOffice conversions (cold, warm, batch) against calling `soffice` by hand.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use sceau_pdfa::{InputKind, Options};
use sceau_testsupport::pdfcorpus;

/// Median of `n` timed runs of `f` (after one warm-up run).
fn median(n: usize, mut f: impl FnMut() -> Result<()>) -> Result<Duration> {
    f()?;
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The measuring side of `cargo xtask bench pdfa` (release build).
pub fn run() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let corpus = dir.path().join("corpus");
    let outputs = dir.path().join("out");
    std::fs::create_dir_all(&corpus)?;
    std::fs::create_dir_all(&outputs)?;
    eprintln!("building the corpus (LibreOffice, Ghostscript, cairo, reportlab, Chromium...)");
    let items = pdfcorpus::build(&corpus)?;
    const RUNS: usize = 5;

    println!("bench pdfa — born-digital PDFs, median of {RUNS} runs each");
    println!(
        "native = rewrite + built-in check (what runs before signing, text comparison apart);"
    );
    println!(
        "native+text = the whole convert_pdf (adds the page, form-field and text comparison);"
    );
    println!("Ghostscript = gs -dPDFA=1 alone.\n");
    println!(
        "{:<30} {:>7} {:>10} {:>12} {:>10} {:>8} {:>10}",
        "file", "KB", "native ms", "native+text", "gs ms", "gs/nat", "gs/nat+txt"
    );
    let mut ratios = Vec::new();
    let mut full_ratios = Vec::new();
    let mut preflight_files = Vec::new();
    let no_gs = Options {
        ghostscript: false,
        ..Options::default()
    };
    for item in items.iter().filter(|i| i.born_digital) {
        let bytes = std::fs::read(&item.path)?;
        let kb = bytes.len() / 1024;
        let native = sceau_pdfa::convert_native(&bytes);
        let gs_out = sceau_pdfa::convert_ghostscript(&bytes, Duration::from_secs(300))
            .with_context(|| format!("Ghostscript on {}", item.name))?;
        let gs_path = outputs.join(format!("gs-{}", item.name));
        std::fs::write(&gs_path, &gs_out)?;
        preflight_files.push(gs_path);
        let gs = median(RUNS, || {
            sceau_pdfa::convert_ghostscript(&bytes, Duration::from_secs(300))?;
            Ok(())
        })?;
        match native {
            Ok(out) => {
                let path = outputs.join(format!("native-{}", item.name));
                std::fs::write(&path, &out)?;
                preflight_files.push(path);
                let nat = median(RUNS, || {
                    sceau_pdfa::convert_native(&bytes)?;
                    Ok(())
                })?;
                let full = median(RUNS, || {
                    sceau_pdfa::convert_pdf(&bytes, &no_gs)?;
                    Ok(())
                })?;
                let ratio = gs.as_secs_f64() / nat.as_secs_f64();
                let full_ratio = gs.as_secs_f64() / full.as_secs_f64();
                ratios.push(ratio);
                full_ratios.push(full_ratio);
                println!(
                    "{:<30} {:>7} {:>10.1} {:>12.1} {:>10.1} {:>7.1}× {:>9.1}×",
                    item.name,
                    kb,
                    ms(nat),
                    ms(full),
                    ms(gs),
                    ratio,
                    full_ratio
                );
            }
            Err(e) => println!(
                "{:<30} {:>7} {:>10} {:>12} {:>10.1} {:>8}   ({})",
                item.name,
                kb,
                "refused",
                "-",
                ms(gs),
                "-",
                e.code()
            ),
        }
    }
    let median_of = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    println!(
        "\nmedian ratio Ghostscript / native: {:.1}× (goal: ≥ 10×); \
         Ghostscript / whole native conversion with fidelity check: {:.1}×",
        median_of(ratios),
        median_of(full_ratios)
    );

    let verdicts = pdfcorpus::preflight(&preflight_files)?;
    let (mut native_ok, mut native_n, mut gs_ok, mut gs_n) = (0, 0, 0, 0);
    for (name, v) in &verdicts {
        if name.starts_with("native-") {
            native_n += 1;
            native_ok += usize::from(v.valid);
        } else {
            gs_n += 1;
            gs_ok += usize::from(v.valid);
            if !v.valid {
                println!("  Preflight rejects Ghostscript's {name}: {:?}", v.errors);
            }
        }
        if name.starts_with("native-") && !v.valid {
            println!("  Preflight rejects native {name}: {:?}", v.errors);
        }
    }
    println!(
        "Preflight: native {native_ok}/{native_n} valid, Ghostscript {gs_ok}/{gs_n} valid \
         (Ghostscript's text and form fields are not checked here; convert_pdf checks them)"
    );

    memory(dir.path())?;
    office(&corpus)?;
    Ok(())
}

/// Peak memory of the native route on a 50 MB PDF, measured in a child process.
fn memory(dir: &Path) -> Result<()> {
    let big = pdfcorpus::big_pdf(dir)?;
    let size = std::fs::metadata(&big)?.len();
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .args(["bench", "pdfa-memory"])
        .arg(&big)
        .output()?;
    if !out.status.success() {
        bail!(
            "memory child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace();
    let peak_kb: u64 = fields.next().context("peak")?.parse()?;
    let base_kb: u64 = fields.next().context("baseline")?.parse()?;
    let secs: f64 = fields.next().context("time")?.parse()?;
    let limit = 3 * size + 50 * 1024 * 1024;
    println!(
        "\npeak memory, native route on a {:.1} MB PDF: {:.1} MB (process baseline {:.1} MB), \
         {:.2} s; goal < 3 × size + 50 MB = {:.1} MB: {}",
        size as f64 / 1e6,
        (peak_kb * 1024) as f64 / 1e6,
        (base_kb * 1024) as f64 / 1e6,
        secs,
        limit as f64 / 1e6,
        if peak_kb * 1024 < limit {
            "met"
        } else {
            "MISSED"
        }
    );
    Ok(())
}

fn status_kb(field: &str) -> u64 {
    crate::bench::proc_status_kb("self", field).unwrap_or(0)
}

/// Child process: reads, converts and checks `path`; prints peak and baseline RSS (KB) and time.
pub fn memory_child(path: Option<&str>) -> Result<()> {
    let path = path.context("usage: bench pdfa-memory FILE")?;
    let base = status_kb("VmRSS:");
    let t = Instant::now();
    let bytes = std::fs::read(path)?;
    // The native route includes the built-in check of its output.
    let out = sceau_pdfa::convert_native(&bytes)?;
    let secs = t.elapsed().as_secs_f64();
    drop(out);
    println!("{} {base} {secs:.3}", status_kb("VmHWM:"));
    Ok(())
}

fn soffice_by_hand(profile: &Path, input: &Path, out: &Path) -> Result<Duration> {
    let t = Instant::now();
    let status = Command::new("soffice")
        .args(["--headless", "--norestore"])
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--convert-to",
            r#"pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"1"}}"#,
            "--outdir",
        ])
        .arg(out)
        .arg(input)
        .output()?
        .status;
    if !status.success() {
        bail!("soffice failed");
    }
    Ok(t.elapsed())
}

/// LibreOffice: cold (new profile) and warm (existing profile) by hand, against Sceau (a fresh
/// profile per call by design, so that conversions can run in parallel), single and batched.
fn office(corpus: &Path) -> Result<()> {
    let docx = corpus.join("acte.docx");
    let bytes = std::fs::read(&docx)?;
    let dir = tempfile::tempdir()?;
    let profile: PathBuf = dir.path().join("profile");
    let cold = soffice_by_hand(&profile, &docx, dir.path())?;
    let warm = median(3, || {
        soffice_by_hand(&profile, &docx, dir.path()).map(|_| ())
    })?;
    let options = Options::default();
    let t = Instant::now();
    let first = sceau_pdfa::convert_office_batch(&[(InputKind::Docx, &bytes)], &options);
    let sceau_first = t.elapsed();
    first.into_iter().next().context("no result")??;
    let sceau_single = median(3, || {
        let r = sceau_pdfa::convert_office_batch(&[(InputKind::Docx, &bytes)], &options);
        r.into_iter().next().context("no result")??;
        Ok(())
    })?;
    let odt = std::fs::read(corpus.join("acte.odt"))?;
    let doc = std::fs::read(corpus.join("acte.doc"))?;
    let batch_inputs: Vec<(InputKind, &[u8])> = vec![
        (InputKind::Docx, &bytes),
        (InputKind::Odt, &odt),
        (InputKind::Doc, &doc),
        (InputKind::Docx, &bytes),
    ];
    let batch = median(3, || {
        for r in sceau_pdfa::convert_office_batch(&batch_inputs, &options) {
            r?;
        }
        Ok(())
    })?;
    println!("\nLibreOffice, acte.docx (2 pages, table, image) → PDF/A-1, seconds per document:");
    println!(
        "  soffice by hand, new profile (cold):       {:.2}",
        cold.as_secs_f64()
    );
    println!(
        "  soffice by hand, existing profile (warm):  {:.2}",
        warm.as_secs_f64()
    );
    println!(
        "  Sceau, first call of the process:          {:.2}",
        sceau_first.as_secs_f64()
    );
    println!(
        "  Sceau, next calls (own fresh profile):     {:.2}  ({:.2}× soffice warm)",
        sceau_single.as_secs_f64(),
        sceau_single.as_secs_f64() / warm.as_secs_f64()
    );
    println!(
        "  Sceau, batch of 4 in one start:            {:.2}  per document",
        batch.as_secs_f64() / 4.0
    );
    Ok(())
}
