//! `cargo xtask bench NAME`: benchmarks that compare against a reference in the same run.
//!
//! The measuring code runs in an optimised build of this crate (`bench-run`), started by
//! `bench`, so that the numbers are not those of a debug build.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use sceau_cades::{BatchItem, DigestAlgorithm, SignOptions};
use sceau_testsupport::pki::{KeySpec, TestCa};
use sceau_testsupport::softhsm::{self, OfficeSpec, SoftHsm};
use sceau_token::{CertSelector, FinalTry, Pin, Role, TokenKey, TokenSelector, Tokens};

use crate::{cargo, run as sh};

/// `cargo xtask bench NAME`.
pub fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("sign") => {
            crate::setup::run()?;
            sh(cargo().args([
                "run",
                "--release",
                "--quiet",
                "-p",
                "xtask",
                "--",
                "bench-run",
                "sign",
            ]))
        }
        Some("vault") => {
            crate::setup::run()?;
            sh(cargo().args([
                "run",
                "--release",
                "--quiet",
                "-p",
                "xtask",
                "--",
                "bench-run",
                "vault",
            ]))
        }
        _ => bail!("usage: cargo xtask bench sign|vault"),
    }
}

/// The optimised side of `bench`.
pub fn run_inner(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("sign") => sign(),
        Some("vault") => crate::bench_vault::run(),
        _ => bail!("unknown benchmark"),
    }
}

/// Operations counted and time spent, accumulated over interleaved rounds so that a load
/// change on this shared machine affects every measure alike.
#[derive(Default)]
struct Meter {
    ops: f64,
    secs: f64,
}

impl Meter {
    /// Runs `f` (which performs and returns a number of operations) for about `budget`.
    fn run(&mut self, budget: Duration, mut f: impl FnMut() -> Result<usize>) -> Result<()> {
        let start = Instant::now();
        let mut calls = 0;
        while calls < 1 || start.elapsed() < budget {
            self.ops += f()? as f64;
            calls += 1;
        }
        self.secs += start.elapsed().as_secs_f64();
        Ok(())
    }

    fn rate(&self) -> f64 {
        if self.secs > 0.0 {
            self.ops / self.secs
        } else {
            0.0
        }
    }
}

fn sign() -> Result<()> {
    const ROUNDS: u32 = 6;
    const SLICE: Duration = Duration::from_millis(500);
    const BATCH: usize = 16;
    let act = vec![0x5au8; 200 * 1024];
    println!(
        "bench sign — SoftHSM2, 200 KB acts, {ROUNDS} interleaved rounds of {} ms per measure",
        SLICE.as_millis()
    );
    println!(
        "{:<24} {:>10} {:>11} {:>11} {:>10} {:>10} {:>10} {:>10}",
        "key",
        "token/s",
        "CAdES 1/s",
        "CAdES lot/s",
        "openssl/s",
        "1/token",
        "lot/token",
        "lot/ossl"
    );
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
        let dir = tempfile::tempdir()?;
        let (cert_pem, key_pem) = office.signature.write_pem(dir.path(), "signer")?;
        let act_path = dir.path().join("act.bin");
        std::fs::write(&act_path, &act)?;
        let items: Vec<BatchItem<'_>> = (0..BATCH)
            .map(|_| BatchItem {
                content: &act,
                signing_time: chrono::Utc::now(),
            })
            .collect();

        let (mut raw, mut single, mut batch, mut ossl) = (
            Meter::default(),
            Meter::default(),
            Meter::default(),
            Meter::default(),
        );
        for _ in 0..ROUNDS {
            raw.run(SLICE, || {
                key.sign_digest_blocking(&digest)?;
                Ok(1)
            })?;
            single.run(SLICE, || {
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
                Ok(1)
            })?;
            batch.run(SLICE, || {
                let results = sceau_cades::sign_detached_batch(
                    &key,
                    &cert,
                    &[],
                    DigestAlgorithm::Sha256,
                    &items,
                );
                for r in results {
                    r?;
                }
                Ok(BATCH)
            })?;
            ossl.run(SLICE, || {
                openssl_sign(&act_path, &cert_pem, &key_pem, openssl_md)?;
                Ok(1)
            })?;
        }
        let (raw, single, batch, ossl) = (raw.rate(), single.rate(), batch.rate(), ossl.rate());
        println!(
            "{:<24} {:>10.1} {:>11.1} {:>11.1} {:>10.1} {:>9.0}% {:>9.0}% {:>9.0}%",
            name,
            raw,
            single,
            batch,
            ossl,
            100.0 * single / raw,
            100.0 * batch / raw,
            100.0 * batch / ossl
        );
    }
    println!("token/s: raw token signatures (prepared digest); CAdES 1/s: one act at a time;");
    println!(
        "CAdES lot/s: a batch of {BATCH} acts, pipelined (hashing and encoding overlap the token);"
    );
    println!("goal: lot/token >= 90 % (the token is the physical limit; our code must not be the bottleneck)");
    Ok(())
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
