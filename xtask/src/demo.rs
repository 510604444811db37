//! `cargo xtask demo`: the main job on an embedded default.
//!
//! Today: a demo office key (SoftHSM token "Etude 9991" with a qualified signature certificate
//! and an authentication certificate), a local time-stamping authority, and the `sceau` CLI
//! listing the key, signing a sample act (CAdES-T) and verifying it — then OpenSSL verifying
//! it independently. Later issues extend it to the vault, the recipient and the window.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use sceau_testsupport::corpus::simple_pdf;
use sceau_testsupport::oracle::openssl_cms_verify;
use sceau_testsupport::pki::{IssueRequest, KeySpec, Profile, TestCa};
use sceau_testsupport::softhsm::{self, OfficeSpec, SoftHsm};
use sceau_testsupport::tsa::TsaServer;

use crate::{cargo, run as sh, target_dir};

/// Runs the demo; everything it makes is under `target/demo/`.
pub fn run() -> Result<()> {
    crate::setup::run()?;
    sh(cargo().args(["build", "--quiet", "-p", "sceau"]))?;
    let sceau = target_dir().join("debug").join("sceau");

    let dir = target_dir().join("demo");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cleaning {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    println!("== Sceau — démonstration (dossier {})", dir.display());

    println!("\n== 1. La clé de l'étude 9991 (SoftHSM2, module PKCS#11 réel)");
    let ca = TestCa::new("AC Sceau Démonstration", KeySpec::Rsa(2048))?;
    let ca_pem = dir.join("ac-demo.pem");
    std::fs::write(&ca_pem, ca.identity.cert_pem())?;
    let hsm = SoftHsm::at(&dir.join("softhsm"))?;
    let office = hsm.office_token(&ca, &OfficeSpec::demo("Etude 9991", KeySpec::Rsa(2048)))?;

    let tsa_identity = ca.issue(&IssueRequest::new(
        "Horodatage Sceau Démonstration",
        KeySpec::EcP256,
        Profile::TimeStamping,
    ))?;
    let tsa = TsaServer::start(&tsa_identity, &ca_pem)?;

    let module = softhsm::module_path()?;
    let cli = |args: &[&str]| -> Command {
        let mut cmd = hsm.command(&sceau);
        cmd.arg("--module").arg(&module).args(args);
        // Demo only: the PIN in the environment. A clerk types it; see `sceau --help`.
        cmd.env("SCEAU_PIN", &office.pin);
        cmd
    };
    sh(&mut cli(&["token", "list"]))?;
    sh(&mut cli(&["token", "certs"]))?;

    println!("\n== 2. Signature qualifiée d'un acte (CAdES-T, horodatage local)");
    let act = dir.join("9991_TEST_MODALITE_REMISE_1_20130917_145203.pdf");
    std::fs::write(
        &act,
        simple_pdf(
            "Acte de demonstration",
            &[
                "Etude 9991 - Commissaire de justice",
                "Acte de demonstration : commandement de payer",
                "Destinataire : BANQUE TEST",
            ],
        ),
    )?;
    let out = dir.join("signatures");
    sh(cli(&["sign", "--out-dir"])
        .arg(&out)
        .arg("--tsa")
        .arg(tsa.url())
        .arg(&act))?;
    let p7s = out.join(format!(
        "{}.p7s",
        act.file_name().and_then(|n| n.to_str()).unwrap_or_default()
    ));

    println!("\n== 3. Vérification par Sceau");
    sh(cli(&["verify"])
        .arg(&act)
        .arg("--signature")
        .arg(&p7s)
        .arg("--trust")
        .arg(&ca_pem))?;

    println!("\n== 4. Vérification indépendante par OpenSSL");
    openssl_verify(&act, &p7s, &ca_pem)?;

    println!("\n== Terminé. Pour recommencer à la main :");
    println!(
        "  export SOFTHSM2_CONF={}\n  {} --module {} token certs\n  (code PIN de démonstration : {})",
        hsm.conf().display(),
        sceau.display(),
        module.display(),
        office.pin
    );
    Ok(())
}

fn openssl_verify(content: &Path, p7s: &Path, ca: &Path) -> Result<()> {
    let (ok, text) = openssl_cms_verify(p7s, content, ca, true);
    print!("{text}");
    if !ok {
        bail!("openssl cms -cades -verify refused the signature");
    }
    Ok(())
}
