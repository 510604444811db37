//! `cargo xtask bench NAME`: benchmarks that compare against a reference in the same run.
//!
//! The measuring code runs in an optimised build of this crate, started by `cargo xtask bench`,
//! so that the numbers are not those of a debug build.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use sceau_cades::{DigestAlgorithm, SignOptions};
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

fn sign() -> Result<()> {
    const BUDGET: Duration = Duration::from_secs(3);
    let act = vec![0x5au8; 200 * 1024];
    println!(
        "bench sign — SoftHSM2, one key per row, 200 KB act, {} s per measure",
        BUDGET.as_secs()
    );
    println!(
        "{:<24} {:>9} {:>9} {:>7} {:>9} {:>7} {:>9} {:>9}",
        "key", "token/s", "one act/s", "/token", "batch/s", "/token", "openssl/s", "one/ossl"
    );
    let mut all_met = true;
    for (name, spec, openssl_md) in [
        ("RSA 2048, always-auth", KeySpec::Rsa(2048), "sha256"),
        ("EC P-256, always-auth", KeySpec::EcP256, "sha256"),
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

        let raw = rate(BUDGET, || {
            key.sign_digest_blocking(&digest)?;
            Ok(())
        })?;
        // The one-act path: what a service from the form does for its act.
        let one = rate(BUDGET, || {
            sceau_cades::sign_detached(
                &key,
                &SignOptions {
                    content: &act,
                    signer_cert: &cert,
                    chain: &[],
                    digest: DigestAlgorithm::Sha256,
                    signing_time: chrono::Utc::now(),
                },
            )?;
            Ok(())
        })?;
        // The batch path: what an EDI batch does, a pipelined batch per chunk of services.
        let batch = batch_rate(BUDGET, &key, &cert, &act)?;

        let dir = tempfile::tempdir()?;
        let (cert_pem, key_pem) = office.signature.write_pem(dir.path(), "signer")?;
        let act_path = dir.path().join("act.bin");
        std::fs::write(&act_path, &act)?;
        let ossl = rate(BUDGET, || {
            openssl_sign(&act_path, &cert_pem, &key_pem, openssl_md)
        })?;
        let (one_pct, batch_pct) = (100.0 * one / raw, 100.0 * batch / raw);
        all_met &= one_pct >= 90.0 && batch_pct >= 100.0;
        println!(
            "{:<24} {:>9.1} {:>9.1} {:>6.0}% {:>9.1} {:>6.0}% {:>9.1} {:>8.0}%",
            name,
            raw,
            one,
            one_pct,
            batch,
            batch_pct,
            ossl,
            100.0 * one / ossl
        );
    }
    println!(
        "goals: one act >= 90 % of the token, batch >= 100 % (the token is the physical limit; \
         our code must not be the bottleneck): {}",
        if all_met { "met" } else { "not met" }
    );
    Ok(())
}

/// Signatures per second through `sign_detached_batch`, in batches of [`BATCH`] acts.
fn batch_rate(
    budget: Duration,
    key: &TokenKey,
    cert: &sceau_cades::Certificate,
    act: &[u8],
) -> Result<f64> {
    const BATCH: usize = 16;
    let docs: Vec<Vec<u8>> = (0..BATCH)
        .map(|i| {
            let mut d = act.to_vec();
            d[0] = i as u8;
            d
        })
        .collect();
    let batches = rate(budget, || {
        let now = chrono::Utc::now();
        let items: Vec<sceau_cades::BatchItem<'_>> = docs
            .iter()
            .map(|d| sceau_cades::BatchItem {
                content: d,
                signing_time: now,
            })
            .collect();
        for r in sceau_cades::sign_detached_batch(key, cert, &[], DigestAlgorithm::Sha256, &items) {
            r?;
        }
        Ok(())
    })?;
    Ok(batches * BATCH as f64)
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
