//! `cargo xtask demo`: the main job on an embedded default.
//!
//! A demo office key (SoftHSM token "Etude 9991" with a qualified signature certificate and an
//! authentication certificate), a local time-stamping authority, and the `sceau` CLI listing the
//! key, signing a sample act (CAdES-T) and verifying it — then OpenSSL verifying it
//! independently. Then the embedded vault (SQLite + files on loopback) with the demo recipients
//! (BANQUE TEST and a private person, both with consents), and a complete service from the CLI:
//! first connection, recipient search, signify (convert, sign, deposit, attestation, archive),
//! sync, detail and dashboard.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

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
    sh(cargo().args(["build", "--quiet", "-p", "sceau", "-p", "sceau-vault"]))?;
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

    vault_service(&dir, &hsm, &office.pin, &ca_pem)?;

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

/// The vault on loopback and a complete service from the CLI.
fn vault_service(dir: &Path, hsm: &SoftHsm, pin: &str, office_ca: &Path) -> Result<()> {
    let bin = target_dir().join("debug");
    let sceau = bin.join("sceau");
    let vault_bin = bin.join("sceau-vault");
    println!("\n== 5. Le coffre-fort embarqué (SQLite + fichiers, boucle locale)");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let data = dir.join("coffre");
    let out = Command::new(&vault_bin)
        .arg("init")
        .arg(&data)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--client-ca")
        .arg(office_ca)
        .output()?;
    if !out.status.success() {
        bail!("sceau-vault init: {}", String::from_utf8_lossy(&out.stderr));
    }
    let config = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let recipients = dir.join("destinataires.json");
    std::fs::write(
        &recipients,
        serde_json::to_string_pretty(&serde_json::json!([
            {"kind": "bank", "name": "BANQUE TEST", "siret": "73282932000074",
             "email": "significations@banque.test", "phone_mobile": "+33600000001"},
            {"id": "personne-demo", "kind": "person", "name": "MARTIN Claire",
             "nir": "184127645108946", "email": "claire.martin@exemple.test",
             "phone_mobile": "+33600000002"}
        ]))?,
    )?;
    sh(Command::new(&vault_bin)
        .args(["recipients", "--config", &config, "import"])
        .arg(&recipients))?;
    for id in ["siret-73282932000074", "personne-demo"] {
        sh(Command::new(&vault_bin).args([
            "consent",
            "--config",
            &config,
            "add",
            "--recipient",
            id,
            "--given-on",
            "2024-01-02",
            "--how",
            "convention de démonstration",
        ]))?;
    }
    let mut server = Command::new(&vault_bin)
        .args(["serve", "--config", &config])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut line = String::new();
    if let Some(out) = server.stdout.take() {
        BufReader::new(out).read_line(&mut line)?;
    }
    println!("coffre-fort : {}", line.trim());
    let result = (|| -> Result<()> {
        let cli_config = dir.join("sceau.toml");
        std::fs::write(
            &cli_config,
            format!(
                "pkcs11_module = {:?}\nvault_url = \"https://127.0.0.1:{port}\"\nvault_ca = {:?}\n\
                 data_dir = {:?}\noffice_number = \"9991\"\noffice_name = \"Etude 9991\"\n\
                 # Démonstration seulement : la clé de la base locale dans un fichier.\n\
                 insecure_store_key_file = {:?}\n",
                softhsm::module_path()?.to_string_lossy(),
                data.join("vault-ca.crt.pem").to_string_lossy(),
                dir.join("poste").to_string_lossy(),
                dir.join("poste.key").to_string_lossy(),
            ),
        )?;
        let cli = |args: &[&str]| -> Command {
            let mut cmd = hsm.command(&sceau);
            cmd.arg("--config").arg(&cli_config).args(args);
            // Demo only: the PIN in the environment. A clerk types it; see `sceau --help`.
            cmd.env("SCEAU_PIN", pin);
            cmd
        };
        println!(
            "\n== 6. Première connexion : le certificat d'authentification est associé à l'étude"
        );
        sh(&mut cli(&["connect", "--yes"]))?;
        println!("\n== 7. Recherche du destinataire par SIRET, puis par numéro INSEE");
        sh(&mut cli(&["recipients", "search", "73282932000074"]))?;
        sh(&mut cli(&["recipients", "search", "184127645108946"]))?;

        println!(
            "\n== 8. Signification d'un acte : conversion, signature, dépôt, attestation, archive"
        );
        let act = dir.join("pv_saisie_attribution.pdf");
        std::fs::write(
            &act,
            simple_pdf(
                "Proces-verbal de saisie-attribution",
                &[
                    "Etude 9991 - Commissaire de justice",
                    "Proces-verbal de saisie-attribution entre les mains de BANQUE TEST",
                    "Le destinataire a consenti a la signification par voie electronique du present acte,",
                    "conformement aux articles 662-1 et 748-1 et suivants du code de procedure civile.",
                ],
            ),
        )?;
        let mut signify = cli(&[
            "signify",
            "--reference",
            "DEMO-2026-001",
            "--recipient",
            "73282932000074",
            "--nature",
            "SAISIE_ATTRIBUTION",
            "--requerant",
            "SA CREANCIER DEMO",
        ]);
        let now = chrono::Utc::now();
        if sceau_core::hours::service_allowed(now, None, None, &Default::default()).is_err() {
            println!("(hors des heures légales maintenant : la démonstration utilise une autorisation du juge)");
            signify.args(["--judge-permission", "Ordonnance de démonstration"]);
        }
        sh(signify.arg(&act))?;

        // TODO(recipient side): the local SMTP and SMS sinks, and the recipient consulting the
        // act (→ "remis à personne"), plus a second service left unconsulted (→ "remis à
        // domicile", with `sceau letter`), are added by the recipient-side issue here.

        println!("\n== 9. Synchronisation, détail et tableau de bord");
        sh(&mut cli(&["sync"]))?;
        sh(&mut cli(&[
            "dashboard",
            "--category",
            "awaiting_consultation",
        ]))?;
        sh(&mut cli(&["show", "DEMO-2026-001"]))?;
        sh(&mut cli(&["vault", "ls", "Significations"]))?;
        sh(&mut cli(&["dashboard"]))?;
        println!(
            "\nMême données à la main : SOFTHSM2_CONF={} {} --config {} dashboard",
            hsm.conf().display(),
            sceau.display(),
            cli_config.display()
        );
        println!("(l'application de bureau ouvrira ces mêmes données quand elle existera)");
        Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    result
}
