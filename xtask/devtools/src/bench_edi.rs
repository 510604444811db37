//! `cargo xtask bench edi`: EDI batches of 1,000 and 3,000 lines through the shared pipeline,
//! as an office runs them: `sceau edi import` (release build, its own process) on born-digital
//! PDFs of 1 to 3 pages, with an office key on SoftHSM whose signature key is
//! `CKA_ALWAYS_AUTHENTICATE` (the PIN again for each signature), to a local vault (`sceau-vault
//! serve`, SQLite + files, loopback).
//!
//! For each size, in the same run and on the same files, the time of each stage alone:
//! - token signatures: one raw signature per act on the same key (`TokenKey::sign_digest_blocking`,
//!   context login each time), one after the other — the token is one device;
//! - conversion: `sceau_pdfa::convert_file` (what the pipeline calls per act) on every act one
//!   after the other, divided by the cores (`available_parallelism`);
//! - upload: the same acts prepared offline on another workstation (`sceau edi import
//!   --offline`, not timed), then `sceau outbox send` to the same vault, timed — before the
//!   whole batch, so that the batch, not the stage, meets the vault already holding `n`
//!   deposits.
//!
//! It prints the whole batch's wall time beside them, its ratio to the largest stage (goal ≤
//! 1.3) and the import's peak resident memory (VmHWM), the 3,000-line batch's within 20 % of the
//! 1,000-line one's. A goal missed is printed, not an error. `SCEAU_BENCH_EDI_LINES=10,30`
//! runs other sizes (a quick try of the benchmark itself).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use lopdf::{dictionary, Document, Object, Stream};
use sceau_testsupport::pki::{KeySpec, TestCa};
use sceau_testsupport::softhsm::{self, OfficeSpec, SoftHsm};
use sceau_token::{CertSelector, FinalTry, Pin, Role, TokenKey, TokenSelector, Tokens};
use xtask::{cargo, run as sh, target_dir};

use crate::local::{self, write_cli_config, LocalVault};

/// The batch sizes, in lines (one act each); `SCEAU_BENCH_EDI_LINES=10,30` for a quick try.
const SIZES: [usize; 2] = [1_000, 3_000];
/// The recipient: a bank, whose consent covers the nature of every line.
const SIRET: &str = "73282932000074";
const RECIPIENT_ID: &str = "siret-73282932000074";
const NATURE: &str = "SAISIE_ATTRIBUTION";
/// The judge's permission the lines carry when the legal hours would close during the run.
const PERMISSION: &str = "Ordonnance sur requete (banc d'essai)";
/// Goals.
const WALL_GOAL: f64 = 1.3;
const MEMORY_GOAL: f64 = 1.2;

/// One batch size's figures.
struct Row {
    lines: usize,
    pages: usize,
    /// `sceau edi import`, start to exit.
    wall: Duration,
    /// Its peak resident memory (VmHWM), in kB.
    peak_kb: u64,
    signatures: Duration,
    /// Conversion of every act on one core (the stage's time is this divided by the cores).
    conversion_one_core: Duration,
    upload: Duration,
    /// The offline preparation the upload starts from (not a stage; for information).
    offline: Duration,
    /// Peak resident memory of the offline preparation and of the sending, in kB (for
    /// information: where the import's memory goes).
    offline_peak_kb: u64,
    upload_peak_kb: u64,
}

impl Row {
    fn conversion(&self, cores: usize) -> Duration {
        self.conversion_one_core / cores as u32
    }

    /// The largest stage alone: its name and time.
    fn largest(&self, cores: usize) -> (&'static str, Duration) {
        [
            ("signatures", self.signatures),
            ("conversion", self.conversion(cores)),
            ("upload", self.upload),
        ]
        .into_iter()
        .max_by_key(|(_, d)| *d)
        .unwrap_or(("none", Duration::ZERO))
    }

    fn ratio(&self, cores: usize) -> f64 {
        self.wall.as_secs_f64() / self.largest(cores).1.as_secs_f64().max(1e-9)
    }
}

/// What every batch runs with: the release binaries, the office's key and its CA.
struct Bench {
    bin: PathBuf,
    hsm: SoftHsm,
    pin: String,
    office_ca: PathBuf,
    permission: Option<&'static str>,
    cores: usize,
}

/// Runs the benchmark.
pub fn run() -> Result<()> {
    // The pipeline measured is the release build's, as the measuring side is.
    sh(cargo().args([
        "build",
        "--quiet",
        "--release",
        "--locked",
        "-p",
        "sceau",
        "-p",
        "sceau-vault",
    ]))?;
    let root = target_dir().join("bench-edi");
    if root.exists() {
        std::fs::remove_dir_all(&root).with_context(|| format!("cleaning {}", root.display()))?;
    }
    std::fs::create_dir_all(&root)?;
    let ca = TestCa::new("AC bench EDI", KeySpec::Rsa(2048))?;
    let office_ca = root.join("office-ca.pem");
    std::fs::write(&office_ca, ca.identity.cert_pem())?;
    let hsm = SoftHsm::at(&root.join("softhsm"))?;
    let office = hsm.office_token(&ca, &OfficeSpec::demo("Etude 9991", KeySpec::Rsa(2048)))?;
    let bench = Bench {
        bin: target_dir().join("release"),
        hsm,
        pin: office.pin.clone(),
        office_ca,
        permission: permission(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    print_header(&bench, &root);
    let sizes = std::env::var("SCEAU_BENCH_EDI_LINES")
        .ok()
        .and_then(|v| v.split(',').map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| SIZES.to_vec());
    let mut rows = Vec::new();
    for n in sizes {
        let row = bench.batch(&root.join(format!("lot-{n}")), n)?;
        print_details(&row, bench.cores);
        rows.push(row);
    }
    print_table(&rows, bench.cores);
    println!("load average after: {}", load());
    Ok(())
}

/// A judge's permission on every line when the legal hours (6:00–21:00 Paris time, not on
/// Sundays or public holidays) do not cover the next three hours, so that the benchmark runs
/// at any hour (deposits outside them are refused without one).
fn permission() -> Option<&'static str> {
    let open = |t| sceau_core::hours::service_allowed(t, None, None, &Default::default()).is_ok();
    let now = chrono::Utc::now();
    if open(now) && open(now + chrono::Duration::hours(3)) {
        None
    } else {
        Some(PERMISSION)
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn print_header(bench: &Bench, root: &Path) {
    println!(
        "bench edi — `sceau edi import` (release, its own process) on born-digital PDFs of 1–3 \
         pages, SoftHSM RSA 2048 signature key with CKA_ALWAYS_AUTHENTICATE, the local vault \
         (sceau-vault serve, SQLite + files, loopback); {} cores; load average {}; files under {}",
        bench.cores,
        load(),
        root.display()
    );
    if bench.permission.is_some() {
        println!(
            "(the legal hours close within 3 hours or are closed: every line carries a judge's \
             permission)"
        );
    }
}

impl Bench {
    /// One batch of `n` lines in `dir`: a fresh vault, the upload alone, the whole batch on a
    /// fresh workstation, then the token and the conversion alone.
    fn batch(&self, dir: &Path, n: usize) -> Result<Row> {
        println!("\n== {n} lines");
        let lot = dir.join("lot");
        let (acts, pages) = write_acts(&lot, n)?;
        let whole = write_manifest(&lot, "lot.csv", "LOT", &acts, self.permission)?;
        let again = write_manifest(&lot, "envoi.csv", "ENVOI", &acts, self.permission)?;
        let vault = self.vault(dir)?;
        let mut server = vault
            .server(&dir.join("horloge"))
            .with_log(&dir.join("coffre.log"));
        server.start()?;
        // The upload alone first, on the empty vault: the whole batch then meets a vault that
        // already holds `n` deposits, so the ratio is not flattered by the order.
        let (offline, upload) = self.upload_alone(&vault, &dir.join("poste-envoi"), &again, n)?;
        let poste = self.workstation(&vault, &dir.join("poste-lot"))?;
        let import = self.measured(&poste, &["edi", "import", &path_arg(&whole)], "import")?;
        expect_count(&import.report["outbox"]["sent"], n, "edi import: deposited")?;
        server.stop();

        println!("signatures alone…");
        let signatures = self.signatures_alone(&acts)?;
        println!("conversion alone…");
        let conversion_one_core = conversion_alone(&acts)?;
        Ok(Row {
            lines: n,
            pages,
            wall: import.wall,
            peak_kb: import.peak_kb,
            signatures,
            conversion_one_core,
            upload: upload.wall,
            offline: offline.wall,
            offline_peak_kb: offline.peak_kb,
            upload_peak_kb: upload.peak_kb,
        })
    }

    /// The `n` lines of `manifest` prepared offline on a fresh workstation in `dir` (the
    /// recipient looked up online first, as offline work needs), then sent to `vault`: the
    /// preparation's run and the sending's.
    fn upload_alone(
        &self,
        vault: &LocalVault,
        dir: &Path,
        manifest: &Path,
        n: usize,
    ) -> Result<(Measured, Measured)> {
        let poste = self.workstation(vault, dir)?;
        self.measured(&poste, &["recipients", "search", SIRET], "recipients")?;
        let offline = self.measured(
            &poste,
            &["edi", "import", "--offline", &path_arg(manifest)],
            "import-offline",
        )?;
        expect_count(
            &offline.report["prepared"],
            n,
            "edi import --offline: prepared",
        )?;
        let upload = self.measured(&poste, &["outbox", "send"], "send")?;
        expect_count(&upload.report["sent"], n, "outbox send: deposited")?;
        Ok((offline, upload))
    }

    /// A fresh vault in `dir/coffre`: étude 9991 declared, the bank in the directory with its
    /// consent for the nature, no reception rule (always open).
    fn vault(&self, dir: &Path) -> Result<LocalVault> {
        let vault = LocalVault::init(
            &self.bin.join("sceau-vault"),
            &dir.join("coffre"),
            &self.office_ca,
        )?;
        vault.import_recipients(
            &serde_json::json!([{"kind": "bank", "name": "BANQUE BENCH EDI", "siret": SIRET}]),
            &dir.join("destinataires.json"),
        )?;
        vault.declare_office(&self.office_ca)?;
        vault.consent(RECIPIENT_ID, &[NATURE], "convention (banc d'essai)")?;
        Ok(vault)
    }

    /// A fresh workstation in `dir` (configuration, data directory, store key), connected.
    fn workstation(&self, vault: &LocalVault, dir: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let config = dir.join("sceau.toml");
        write_cli_config(&config, vault, &dir.join("donnees"), &dir.join("store.key"))?;
        self.measured(&config, &["connect", "--yes"], "connect")?;
        Ok(config)
    }

    /// `sceau --json ARGS...` on the workstation `config`, measured (see [`measured`]); its
    /// output and log are kept beside the configuration as `NAME.json` and `NAME.log`.
    fn measured(&self, config: &Path, args: &[&str], name: &str) -> Result<Measured> {
        let mut cli = local::cli(
            &self.hsm,
            &self.bin.join("sceau"),
            config,
            &self.pin,
            &["--json"],
        );
        cli.args(args);
        let dir = config.parent().unwrap_or(Path::new("."));
        measured(
            &mut cli,
            &dir.join(format!("{name}.json")),
            &dir.join(format!("{name}.log")),
        )
    }

    /// One raw signature per act on the office's signature key, in sequence (the digests are
    /// computed first).
    fn signatures_alone(&self, acts: &[PathBuf]) -> Result<Duration> {
        let _env = self.hsm.activate();
        let tokens = Tokens::open(&softhsm::module_path()?)?;
        let certs = tokens.certificates(&TokenSelector::Any).wait()?;
        let cert = CertSelector::Role(Role::Signature).select(&certs)?;
        let key = TokenKey::new(&tokens, cert, None, Pin::new(&self.pin), FinalTry::Refuse)?;
        let hash = key.algorithm().hash();
        let digests = acts
            .iter()
            .map(|a| Ok(hash.digest(&std::fs::read(a)?)))
            .collect::<Result<Vec<_>>>()?;
        let t = Instant::now();
        for d in &digests {
            key.sign_digest_blocking(d)?;
        }
        Ok(t.elapsed())
    }
}

/// Every act converted as the pipeline converts it, one after the other; all must take the
/// native route.
fn conversion_alone(acts: &[PathBuf]) -> Result<Duration> {
    let options = sceau_pdfa::Options::default();
    let t = Instant::now();
    for a in acts {
        let c = sceau_pdfa::convert_file(a, &options)
            .with_context(|| format!("converting {}", a.display()))?;
        if c.route != sceau_pdfa::Route::Native {
            bail!(
                "{}: route {} instead of native",
                a.display(),
                c.route.label()
            );
        }
    }
    Ok(t.elapsed())
}

/// A finished child process: its wall time, peak resident memory and JSON output.
struct Measured {
    wall: Duration,
    peak_kb: u64,
    report: serde_json::Value,
}

/// Runs `cmd` to its end with its standard output to `out` and its standard error to `log`:
/// its wall time, its peak resident memory (VmHWM, read from `/proc` every 10 ms while it
/// runs: the high-water mark only grows, so the last reading is the peak but for the last few
/// milliseconds) and its output as JSON. Fails when it fails.
fn measured(cmd: &mut Command, out: &Path, log: &Path) -> Result<Measured> {
    cmd.stdout(File::create(out)?).stderr(File::create(log)?);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", xtask::display(cmd)))?;
    let pid = child.id().to_string();
    let done = AtomicBool::new(false);
    let (status, wall, peak_kb) = std::thread::scope(|s| {
        let poller = s.spawn(|| {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                if let Some(kb) = crate::bench::proc_status_kb(&pid, "VmHWM:") {
                    peak = peak.max(kb);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            peak
        });
        let status = child.wait();
        let wall = start.elapsed();
        done.store(true, Ordering::Relaxed);
        (status, wall, poller.join().unwrap_or(0))
    });
    let status = status?;
    if !status.success() {
        bail!(
            "{} failed ({status}):\n{}\n{}",
            xtask::display(cmd),
            tail(out),
            tail(log)
        );
    }
    let report = serde_json::from_slice(&std::fs::read(out)?)
        .with_context(|| format!("{}: not JSON", out.display()))?;
    Ok(Measured {
        wall,
        peak_kb,
        report,
    })
}

/// The last lines of a log, for an error message.
fn tail(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

fn expect_count(list: &serde_json::Value, n: usize, what: &str) -> Result<()> {
    let got = list.as_array().map_or(0, Vec::len);
    if got != n {
        bail!("{what}: {got} instead of {n}");
    }
    Ok(())
}

fn path_arg(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Writes `n` acts under `lot/actes/` (act `i` has `1 + i % 3` pages); returns their paths and
/// the number of pages.
fn write_acts(lot: &Path, n: usize) -> Result<(Vec<PathBuf>, usize)> {
    let dir = lot.join("actes");
    std::fs::create_dir_all(&dir)?;
    let mut acts = Vec::with_capacity(n);
    let mut pages = 0;
    for i in 1..=n {
        let p = dir.join(format!("{i:05}.pdf"));
        let count = 1 + i % 3;
        std::fs::write(&p, act_pdf(i, count)?)?;
        acts.push(p);
        pages += count;
    }
    Ok((acts, pages))
}

/// The manifest `name` in `lot`: one line per act, references `PREFIX-00001`…, all to the
/// bank.
fn write_manifest(
    lot: &Path,
    name: &str,
    prefix: &str,
    acts: &[PathBuf],
    permission: Option<&str>,
) -> Result<PathBuf> {
    let mut csv =
        String::from("reference;destinataire;nature;requerant;fichiers;autorisation_juge\n");
    for (i, act) in acts.iter().enumerate() {
        let file = act.strip_prefix(lot)?.to_string_lossy().into_owned();
        csv.push_str(&format!(
            "{prefix}-{:05};{SIRET};{NATURE};SA CREANCIER {};{file};{}\n",
            i + 1,
            i % 50,
            permission.unwrap_or_default()
        ));
    }
    let path = lot.join(name);
    std::fs::write(&path, csv)?;
    Ok(path)
}

/// A born-digital act of `pages` A4 pages (Helvetica, compressed content streams, as a word
/// processor exports it); its last page carries the consent mention.
fn act_pdf(number: usize, pages: usize) -> Result<Vec<u8>> {
    let mut doc = Document::with_version("1.4");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let mut kids = Vec::new();
    for page in 1..=pages {
        let mut text = String::from("BT /F1 10 Tf 56 790 Td 14 TL\n");
        for line in page_lines(number, page, pages) {
            let escaped = line
                .replace('\\', "\\\\")
                .replace('(', "\\(")
                .replace(')', "\\)");
            text.push_str(&format!("({escaped}) Tj T*\n"));
        }
        text.push_str("ET\n");
        let mut content = Stream::new(dictionary! {}, text.into_bytes());
        content.compress()?;
        let content = doc.add_object(content);
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
            "Contents" => content,
        });
        kids.push(Object::Reference(page));
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => pages as i64,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    let info = doc.add_object(dictionary! {
        "Title" => Object::string_literal(format!("Proces-verbal de saisie-attribution {number}")),
        "Producer" => Object::string_literal("sceau-devtools bench edi"),
    });
    doc.trailer.set("Root", catalog);
    doc.trailer.set("Info", info);
    let mut out = Vec::new();
    doc.save_to(&mut out)?;
    Ok(out)
}

/// The text of page `page` of act `number` (50 lines of ASCII prose).
fn page_lines(number: usize, page: usize, pages: usize) -> Vec<String> {
    let mut lines = Vec::with_capacity(50);
    if page == 1 {
        lines.push("Etude 9991 - Jeanne DUPONT, Commissaire de justice".to_owned());
        lines.push(format!(
            "PROCES-VERBAL DE SAISIE-ATTRIBUTION n. {number} entre les mains de BANQUE BENCH EDI"
        ));
    }
    while lines.len() < 46 {
        let k = lines.len() + 50 * page + number;
        lines.push(format!(
            "Article {k} : a la requete de SA CREANCIER {}, en vertu d'un titre executoire, la somme \
             de {},{:02} euros en principal, interets et frais ({}/{}).",
            number % 50,
            100 + (k * 37) % 9000,
            k % 100,
            page,
            pages
        ));
    }
    if page == pages {
        lines.push(
            "Le destinataire a consenti a la signification par voie electronique du present acte,"
                .to_owned(),
        );
        lines.push(
            "conformement aux articles 662-1 et 748-1 et suivants du code de procedure civile."
                .to_owned(),
        );
    }
    lines
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn print_details(row: &Row, cores: usize) {
    let n = row.lines as f64;
    println!(
        "{} lines, {} pages: import {:.1} s ({:.1} lines/s), peak RSS {:.0} MB; signatures \
         alone {:.2} s ({:.0}/s); conversion alone {:.2} s on one core ({:.1} ms per act), \
         {:.2} s over {cores} cores; upload alone {:.1} s ({:.1} deposits/s, peak RSS {:.0} MB; \
         prepared offline before it in {:.1} s, peak RSS {:.0} MB)",
        row.lines,
        row.pages,
        secs(row.wall),
        n / secs(row.wall),
        row.peak_kb as f64 / 1024.0,
        secs(row.signatures),
        n / secs(row.signatures),
        secs(row.conversion_one_core),
        1000.0 * secs(row.conversion_one_core) / n,
        secs(row.conversion(cores)),
        secs(row.upload),
        n / secs(row.upload),
        row.upload_peak_kb as f64 / 1024.0,
        secs(row.offline),
        row.offline_peak_kb as f64 / 1024.0,
    );
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "not met"
    }
}

fn print_table(rows: &[Row], cores: usize) {
    println!(
        "\n{:>6} {:>6} {:>9} {:>11} {:>12} {:>9} {:>18} {:>12} {:>12}",
        "lines",
        "pages",
        "wall s",
        "signatures",
        format!("conv/{cores} s"),
        "upload s",
        "largest stage s",
        "wall/largest",
        "peak RSS MB"
    );
    for r in rows {
        let (name, largest) = r.largest(cores);
        println!(
            "{:>6} {:>6} {:>9.1} {:>11.2} {:>12.2} {:>9.1} {:>18} {:>12.2} {:>12.0}",
            r.lines,
            r.pages,
            secs(r.wall),
            secs(r.signatures),
            secs(r.conversion(cores)),
            secs(r.upload),
            format!("{:.1} ({name})", secs(largest)),
            r.ratio(cores),
            r.peak_kb as f64 / 1024.0
        );
    }
    for r in rows {
        let ratio = r.ratio(cores);
        println!(
            "goal wall <= {WALL_GOAL} x the largest stage, {} lines: {ratio:.2} x — {}",
            r.lines,
            met(ratio <= WALL_GOAL)
        );
    }
    if let [small, large] = rows {
        let ratio = large.peak_kb as f64 / (small.peak_kb.max(1)) as f64;
        println!(
            "goal peak RSS of {} lines within {:.0} % of {} lines: {:.0} MB / {:.0} MB = {ratio:.2} — {}",
            large.lines,
            100.0 * (MEMORY_GOAL - 1.0),
            small.lines,
            large.peak_kb as f64 / 1024.0,
            small.peak_kb as f64 / 1024.0,
            met(ratio <= MEMORY_GOAL)
        );
    }
}
