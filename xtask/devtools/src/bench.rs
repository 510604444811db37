//! `cargo xtask bench NAME`: benchmarks that compare against a reference in the same run.
//!
//! The measuring code runs in an optimised build of this crate, started by `cargo xtask bench`,
//! so that the numbers are not those of a debug build.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use sceau_cades::DigestAlgorithm;
use sceau_testsupport::pki::{KeySpec, TestCa};
use sceau_testsupport::softhsm::{self, OfficeSpec, SoftHsm};
use sceau_token::{CertSelector, FinalTry, Pin, Role, TokenKey, TokenSelector, Tokens};

/// `bench NAME`: the measuring side of `cargo xtask bench NAME` (an optimised build, but for
/// `app`, which builds and measures the release window).
pub fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("app") => crate::bench_app::run(),
        Some("sign") => sign(),
        Some("pdfa") => crate::bench_pdfa::run(),
        Some("vault") => crate::bench_vault::run(),
        Some("pdfa-memory") => crate::bench_pdfa::memory_child(args.get(1).map(String::as_str)),
        Some("store") => crate::bench_store::store(),
        Some("portal") => crate::bench_portal::run(),
        Some("upload") => crate::bench_upload::run(),
        Some("edi") => crate::bench_edi::run(),
        _ => bail!("unknown benchmark"),
    }
}

/// A field in kB of `/proc/PROCESS/status` (`PROCESS`: a pid, or `self`), e.g. `VmRSS:` or
/// `VmHWM:`; `None` when the process or the field is gone.
pub(crate) fn proc_status_kb(process: &str, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Calls `f` repeatedly for about `budget` (at least 3 times) and returns operations per second.
fn rate(budget: Duration, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?; // warm-up
    let start = Instant::now();
    let mut n = 0u32;
    while n < 3 || start.elapsed() < budget {
        f()?;
        n += 1;
    }
    Ok(f64::from(n) / start.elapsed().as_secs_f64())
}

/// The median of `v` (the mean of the two middle values for an even count).
fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Rounds of `bench sign`: each round measures the raw token and both paths for [`SLICE`],
/// one after the other in a rotating order, so that a slow spell of the machine hits the
/// reference and the paths alike; the ratios are taken within each round, then their median.
const ROUNDS: usize = 15;
/// Time of one measure in a round.
const SLICE: Duration = Duration::from_millis(400);
/// Acts per batch in the batch path (as before: 16 acts of 200 KB).
const BATCH: usize = 16;

fn sign() -> Result<()> {
    let act = vec![0x5au8; 200 * 1024];
    println!(
        "bench sign — SoftHSM2 always-authenticate keys, 200 KB acts, {ROUNDS} rounds of \
         {:.1} s per measure (token, one act, batch of {BATCH} in rotating order; ratios within \
         each round, medians reported)",
        SLICE.as_secs_f64()
    );
    let mut all_met = true;
    let mut summary = Vec::new();
    for (name, spec, openssl_md) in [
        ("RSA 2048", KeySpec::Rsa(2048), "sha256"),
        ("EC P-256", KeySpec::EcP256, "sha256"),
    ] {
        let hsm = SoftHsm::new()?;
        let _env = hsm.activate();
        let ca = TestCa::new("AC bench", KeySpec::EcP256)?;
        let office = hsm.office_token(&ca, &OfficeSpec::demo("Bench", spec))?;
        let tokens = Tokens::open(&softhsm::module_path()?)?;
        let certs = tokens.certificates(&TokenSelector::Any).wait()?;
        let cert_info = CertSelector::Role(Role::Signature).select(&certs)?;
        let cert = cert_info.certificate()?;
        let key = TokenKey::new(
            &tokens,
            cert_info,
            None,
            Pin::new(softhsm::USER_PIN),
            FinalTry::Refuse,
        )?;
        let digest = key.algorithm().hash().digest(b"raw");
        let docs: Vec<Vec<u8>> = (0..BATCH)
            .map(|i| {
                let mut d = act.clone();
                d[0] = i as u8;
                d
            })
            .collect();

        // The raw token: one signature of a ready digest per call, nothing else.
        let mut raw = || -> Result<()> {
            key.sign_digest_blocking(&digest)?;
            Ok(())
        };
        // The one-act path: what a service from the form does for its act (the app's
        // `sign_batch` with one document: hash, signed attributes, token, check, encoding).
        let mut one = || -> Result<()> {
            let item = sceau_cades::BatchItem {
                content: &act,
                signing_time: chrono::Utc::now(),
            };
            for r in
                sceau_cades::sign_detached_run(&key, &cert, &[], DigestAlgorithm::Sha256, &[item])
            {
                r?;
            }
            Ok(())
        };
        // The batch path: what an EDI batch does, one pipelined run per chunk of acts.
        let mut batch = || -> Result<()> {
            let now = chrono::Utc::now();
            let items: Vec<sceau_cades::BatchItem<'_>> = docs
                .iter()
                .map(|d| sceau_cades::BatchItem {
                    content: d,
                    signing_time: now,
                })
                .collect();
            for r in
                sceau_cades::sign_detached_run(&key, &cert, &[], DigestAlgorithm::Sha256, &items)
            {
                r?;
            }
            Ok(())
        };

        println!("\n{name}, always-authenticate");
        let m = measure_rounds(&mut raw, &mut one, &mut batch)?;
        let (one_pct, batch_pct) = (m.one_pct, m.batch_pct);

        let dir = tempfile::tempdir()?;
        let (cert_pem, key_pem) = office.signature.write_pem(dir.path(), "signer")?;
        let act_path = dir.path().join("act.bin");
        std::fs::write(&act_path, &act)?;
        let ossl = rate(Duration::from_secs(2), || {
            openssl_sign(&act_path, &cert_pem, &key_pem, openssl_md)
        })?;
        println!(
            "  reference: `openssl cms -sign` (software key, one process per act) {ossl:.1}/s; \
             one act is {:.0} % of it",
            100.0 * m.one / ossl
        );
        let one_met = one_pct >= 90.0;
        let batch_met = batch_pct >= 100.0;
        all_met &= one_met && batch_met;
        summary.push((name, m.raw, one_pct, one_met, batch_pct, batch_met));
    }
    println!();
    for (name, raw, one_pct, one_met, batch_pct, batch_met) in summary {
        let verdict = |met: bool| if met { "met" } else { "NOT met" };
        println!(
            "goal {name} (token {raw:.0}/s): one act {one_pct:.1} % (goal >= 90 %: {}), \
             batch {batch_pct:.1} % (goal >= 100 %: {})",
            verdict(one_met),
            verdict(batch_met)
        );
    }
    println!(
        "goals: one act >= 90 % of the token, batch >= 100 % (the token is the physical limit; \
         our code must not be the bottleneck): {}",
        if all_met { "met" } else { "not met" }
    );
    Ok(())
}

/// Medians of the rounds of one key: rates per second and the ratios to the token, in %.
struct Measured {
    raw: f64,
    one: f64,
    one_pct: f64,
    batch_pct: f64,
}

/// Warms the three paths up, then runs [`ROUNDS`] rounds (each path for [`SLICE`], in a
/// rotating order), printing each round and the medians.
fn measure_rounds(
    raw: &mut dyn FnMut() -> Result<()>,
    one: &mut dyn FnMut() -> Result<()>,
    batch: &mut dyn FnMut() -> Result<()>,
) -> Result<Measured> {
    println!(
        "  {:<7} {:>9} {:>10} {:>7} {:>9} {:>7}",
        "round", "token/s", "one act/s", "/token", "batch/s", "/token"
    );
    // Warm-up: caches, the token's session and login, the CPU's clock.
    rate(Duration::from_millis(500), &mut *raw)?;
    rate(Duration::from_millis(500), &mut *one)?;
    rate(Duration::from_millis(500), &mut *batch)?;
    let (mut raws, mut ones, mut batches) = (Vec::new(), Vec::new(), Vec::new());
    let (mut one_pcts, mut batch_pcts) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let mut got = [0.0f64; 3];
        for k in 0..3 {
            let which = (round + k) % 3;
            got[which] = match which {
                0 => rate(SLICE, &mut *raw)?,
                1 => rate(SLICE, &mut *one)?,
                _ => rate(SLICE, &mut *batch)? * BATCH as f64,
            };
        }
        let [r, o, b] = got;
        let (op, bp) = (100.0 * o / r, 100.0 * b / r);
        println!(
            "  {:<7} {:>9.1} {:>10.1} {:>6.1}% {:>9.1} {:>6.1}%",
            round + 1,
            r,
            o,
            op,
            b,
            bp
        );
        raws.push(r);
        ones.push(o);
        batches.push(b);
        one_pcts.push(op);
        batch_pcts.push(bp);
    }
    let (one_pct, batch_pct) = (median(&one_pcts), median(&batch_pcts));
    println!(
        "  {:<7} {:>9.1} {:>10.1} {:>6.1}% {:>9.1} {:>6.1}%",
        "median",
        median(&raws),
        median(&ones),
        one_pct,
        median(&batches),
        batch_pct
    );
    println!(
        "  spread of the ratios: one act {:.1}–{:.1} %, batch {:.1}–{:.1} %",
        one_pcts.iter().copied().fold(f64::INFINITY, f64::min),
        one_pcts.iter().copied().fold(0.0, f64::max),
        batch_pcts.iter().copied().fold(f64::INFINITY, f64::min),
        batch_pcts.iter().copied().fold(0.0, f64::max),
    );

    Ok(Measured {
        raw: median(&raws),
        one: median(&ones),
        one_pct,
        batch_pct,
    })
}

fn openssl_sign(content: &Path, cert: &Path, key: &Path, md: &str) -> Result<()> {
    let status = Command::new("openssl")
        .args([
            "cms", "-sign", "-binary", "-cades", "-outform", "DER", "-md", md, "-out",
        ])
        .arg("/dev/null")
        .arg("-in")
        .arg(content)
        .arg("-signer")
        .arg(cert)
        .arg("-inkey")
        .arg(key)
        .status()
        .context("running openssl")?;
    if !status.success() {
        bail!("openssl cms -sign failed");
    }
    Ok(())
}
