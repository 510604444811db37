//! `cargo xtask demo`: the main job on an embedded default.
//!
//! A demo office key (SoftHSM token "Etude 9991" with a qualified signature certificate and an
//! authentication certificate), a local time-stamping authority, and the `sceau` CLI listing the
//! key, signing a sample act (CAdES-T) and verifying it — then OpenSSL verifying it
//! independently. Then the embedded vault (SQLite + files on loopback) with the demo recipients
//! (BANQUE TEST and a private person, both with consents), and a complete service from the CLI:
//! first connection, recipient search, signify (convert, sign, deposit, attestation, archive),
//! then the recipient side: the vault notifies through a local SMTP sink and SMS sink and
//! serves its portal on its own listener; BANQUE TEST consults its act through the bank API
//! (→ "remis à personne") and answers it (a return); the private person's act is left
//! unconsulted and the vault's test clock moved past its deadline (→ "remis à domicile", with
//! the plain letter as PDF/A-1b); sync, detail and dashboard.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use sceau_testsupport::corpus::simple_pdf;
use sceau_testsupport::oracle::openssl_cms_verify;
use sceau_testsupport::pki::{Identity, IssueRequest, KeySpec, Profile, TestCa};
use sceau_testsupport::sinks::{SmsSink, SmtpOptions, SmtpSink};
use sceau_testsupport::softhsm::{self, OfficeSpec, SoftHsm};
use sceau_testsupport::tsa::TsaServer;

use xtask::{cargo, run as sh, target_dir};

/// Runs the demo; everything it makes is under `target/demo/`.
pub fn run() -> Result<()> {
    // The vault's test clock (feature off by default) lets the demo move past a deadline.
    sh(cargo().args([
        "build",
        "--quiet",
        "-p",
        "sceau",
        "-p",
        "sceau-vault",
        "--features",
        "sceau-vault/test-clock",
    ]))?;
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

    vault_service(&dir, &hsm, &office.pin, &ca, &ca_pem)?;

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

/// The running demo vault: its process and how to restart it.
struct Server {
    child: Option<std::process::Child>,
    vault_bin: PathBuf,
    config: String,
    clock: PathBuf,
}

impl Server {
    /// Starts `sceau-vault serve` with the test clock and prints its listeners.
    fn start(&mut self) -> Result<()> {
        let mut child = Command::new(&self.vault_bin)
            .args(["serve", "--config", &self.config])
            .env("SCEAU_VAULT_TEST_CLOCK", &self.clock)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let Some(out) = child.stdout.take() else {
            bail!("sceau-vault serve: no output");
        };
        let mut reader = BufReader::new(out);
        for _ in 0..2 {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim();
            if let Some(a) = line.strip_prefix("portal listening on ") {
                println!("portail des destinataires : https://{a}/portail");
            } else if let Some(a) = line.strip_prefix("listening on ") {
                println!("coffre-fort : https://{a}");
            } else {
                let _ = child.kill();
                let _ = child.wait();
                bail!("sceau-vault serve n'a pas démarré : {line:?}");
            }
        }
        self.child = Some(child);
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A mutual-TLS client of the vault with `id` (the bank's API certificate).
fn bank_client(id: &Identity, vault_ca: &Path) -> Result<reqwest::Client> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let mut roots = rustls::RootCertStore::empty();
    for der in sceau_vault::keys::load_cert_ders(vault_ca)? {
        roots.add(CertificateDer::from(der))?;
    }
    let cfg = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_client_auth_cert(
        vec![CertificateDer::from(id.cert_der.clone())],
        PrivateKeyDer::Pkcs8(id.key_pkcs8_der.clone().into()),
    )?;
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(cfg)
        .build()?)
}

/// BANQUE TEST, through the bank API: lists its acts, reads `reference`'s (the consultation)
/// and deposits its answer (a return).
fn bank_consults(client: &reqwest::Client, base: &str, reference: &str) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let list: sceau_proto::BankActList = client
            .get(format!("{base}/v1/bank/acts"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let act = list
            .acts
            .iter()
            .find(|a| a.reference == reference)
            .context("the bank does not see the act")?;
        let doc = act.documents.first().context("no document")?;
        let pdf = client
            .get(format!(
                "{base}/v1/bank/acts/{}/documents/{doc}",
                act.deposit_id
            ))
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        println!(
            "la banque a consulté {doc} ({} octets) par l'API bancaire",
            pdf.len()
        );
        let answer = simple_pdf(
            "Declaration du tiers saisi",
            &[
                "BANQUE TEST",
                "Comptes ouverts au nom du debiteur : un compte courant.",
            ],
        );
        use base64::Engine;
        let receipt: sceau_proto::ReturnReceipt = client
            .put(format!("{base}/v1/bank/acts/{}/return", act.deposit_id))
            .json(&sceau_proto::ReturnUpload {
                pdf_base64: base64::engine::general_purpose::STANDARD.encode(answer),
                answer: Some(serde_json::json!({
                    "version": 1, "accounts_found": true,
                    "declared_on": chrono::Utc::now().date_naive().to_string(),
                    "accounts": [{"kind": "compte courant", "balance_cents": 123456, "currency": "EUR"}]
                })),
            })
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        println!("la banque a déposé sa réponse : {}", receipt.name);
        Ok(())
    })
}

/// Copies what the sinks received under `dir` (e-mails as JSON, SMS as text); returns the
/// counts.
fn keep_messages(smtp: &SmtpSink, sms: &SmsSink, dir: &Path) -> Result<(usize, usize)> {
    let mails = dir.join("courriels");
    let texts = dir.join("sms");
    std::fs::create_dir_all(&mails)?;
    std::fs::create_dir_all(&texts)?;
    let m = smtp.messages()?;
    for (i, mail) in m.iter().enumerate() {
        std::fs::write(
            mails.join(format!("{:03}.txt", i + 1)),
            format!(
                "De : {}\nÀ : {}\nObjet : {}\n\n{}",
                mail.from, mail.to, mail.subject, mail.body
            ),
        )?;
    }
    let s = sms.received();
    for (i, r) in s.iter().enumerate() {
        std::fs::write(texts.join(format!("{:03}.json", i + 1)), &r.body)?;
    }
    Ok((m.len(), s.len()))
}

/// The vault on loopback and a complete service from the CLI.
fn vault_service(
    dir: &Path,
    hsm: &SoftHsm,
    pin: &str,
    ca: &TestCa,
    office_ca: &Path,
) -> Result<()> {
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
        // A free port for the portal too (port + 1, the default, may be taken).
        .args(["--portal-listen", "127.0.0.1:0"])
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
    // Only an office the operator declared (number, holder, issuing CA) can be bound at its
    // first connection; a bank's or any other certificate never creates an office.
    sh(Command::new(&vault_bin)
        .args(["office", "--config", &config, "add", "--number", "9991"])
        .args(["--holder", "Jeanne DUPONT", "--ca"])
        .arg(office_ca))?;
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
    // The recipient side: notifications to local sinks, the portal on its own listener, the
    // bank's API certificate.
    let smtp = SmtpSink::start(&SmtpOptions::default())?;
    let sms = SmsSink::start(0)?;
    let portal_port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut cfg = sceau_vault::config::Config::load(Path::new(&config))?;
    cfg.smtp = Some(sceau_vault::config::SmtpConfig {
        host: "127.0.0.1".into(),
        port: smtp.port,
        security: sceau_vault::config::SmtpSecurity::Plain,
        username: None,
        password: None,
        from: "Coffre Sceau <coffre@sceau.test>".into(),
        ca_file: None,
    });
    cfg.sms = Some(sceau_vault::config::SmsConfig::new(sms.url()));
    cfg.portal.listen = Some(format!("127.0.0.1:{portal_port}"));
    cfg.portal.public_url = format!("https://127.0.0.1:{portal_port}");
    cfg.save(Path::new(&config))?;
    let bank_id = ca.issue(&IssueRequest::new(
        "BANQUE TEST API",
        KeySpec::EcP256,
        Profile::Authentication,
    ))?;
    let (bank_cert, _) = bank_id.write_pem(dir, "banque-api")?;
    sh(Command::new(&vault_bin)
        .args([
            "bank",
            "--config",
            &config,
            "--recipient",
            "siret-73282932000074",
            "--cert",
        ])
        .arg(&bank_cert))?;
    let clock = dir.join("horloge-coffre");
    let mut server = Server {
        child: None,
        vault_bin: vault_bin.clone(),
        config: config.clone(),
        clock: clock.clone(),
    };
    server.start()?;
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

        println!("\n== 9. Une seconde signification, à un particulier (commandement de payer)");
        let act2 = dir.join("commandement.pdf");
        std::fs::write(
            &act2,
            simple_pdf(
                "Commandement de payer",
                &[
                    "Etude 9991 - Commissaire de justice",
                    "Commandement de payer a MARTIN Claire",
                    "Le destinataire a consenti a la signification par voie electronique du present acte,",
                    "conformement aux articles 662-1 et 748-1 et suivants du code de procedure civile.",
                ],
            ),
        )?;
        let mut signify = cli(&[
            "signify",
            "--reference",
            "DEMO-2026-002",
            "--recipient",
            "personne-demo",
            "--nature",
            "COMMANDEMENT_DE_PAYER",
            "--requerant",
            "SA CREANCIER DEMO",
        ]);
        if sceau_core::hours::service_allowed(chrono::Utc::now(), None, None, &Default::default())
            .is_err()
        {
            signify.args(["--judge-permission", "Ordonnance de démonstration"]);
        }
        sh(signify.arg(&act2))?;

        println!("\n== 10. Le destinataire consulte : BANQUE TEST par l'API bancaire");
        let bank = bank_client(&bank_id, &data.join("vault-ca.crt.pem"))?;
        bank_consults(&bank, &format!("https://127.0.0.1:{port}"), "DEMO-2026-001")?;

        println!("\n== 11. Synchronisation : DEMO-2026-001 remis à personne, retour de la banque");
        sh(&mut cli(&["sync"]))?;
        sh(&mut cli(&[
            "dashboard",
            "--category",
            "delivered_in_person",
        ]))?;
        sh(&mut cli(&[
            "dashboard",
            "--category",
            "return_awaiting_consultation",
        ]))?;

        println!(
            "\n== 12. DEMO-2026-002 n'est pas consulté : l'horloge de test du coffre avance de \
             trois jours, au-delà du délai (remise à domicile)"
        );
        server.stop();
        std::fs::write(&clock, (3 * 86_400).to_string())?;
        server.start()?;
        sh(&mut cli(&["sync"]))?;
        sh(&mut cli(&["dashboard", "--category", "delivered_at_home"]))?;
        println!("\n== 13. La lettre simple (PDF/A-1b) de la remise à domicile");
        let letter = dir.join("lettre_DEMO-2026-002.pdf");
        sh(cli(&["letter", "DEMO-2026-002", "--out"]).arg(&letter))?;
        let verdict = sceau_pdfa::check_pdfa1b(&std::fs::read(&letter)?);
        println!(
            "contrôle PDF/A-1b de la lettre : {}",
            if verdict.conformant {
                "conforme".to_owned()
            } else {
                format!("NON conforme {:?}", verdict.violations)
            }
        );

        println!("\n== 14. Votre coffre et le tableau de bord");
        sh(&mut cli(&["vault", "ls", "Significations"]))?;
        sh(&mut cli(&["dashboard"]))?;
        println!(
            "\n== 15. Les fiches de détail (les ouvrir marque leurs notifications comme vues)"
        );
        sh(&mut cli(&["show", "DEMO-2026-001"]))?;
        sh(&mut cli(&["show", "DEMO-2026-002"]))?;
        let (m, t) = keep_messages(&smtp, &sms, dir)?;
        println!(
            "\nNotifications envoyées par le coffre : {m} courriel(s) dans {}, {t} SMS dans {}",
            dir.join("courriels").display(),
            dir.join("sms").display()
        );
        println!(
            "\nMême données à la main : SOFTHSM2_CONF={} {} --config {} dashboard",
            hsm.conf().display(),
            sceau.display(),
            cli_config.display()
        );
        open_window(hsm, &cli_config, pin)?;
        Ok(())
    })();
    server.stop();
    result
}

/// Opens the desktop window on the demo's data (same configuration as the CLI above) while the
/// vault runs; without a display, says how to open it.
fn open_window(hsm: &SoftHsm, cli_config: &Path, pin: &str) -> Result<()> {
    println!("\n== 16. L'application de bureau sur ces données");
    let app = build_window(false)?;
    let display = std::env::var_os("DISPLAY").filter(|d| !d.is_empty());
    let wayland = std::env::var_os("WAYLAND_DISPLAY").filter(|d| !d.is_empty());
    if display.is_none() && wayland.is_none() {
        println!(
            "Pas d'écran (ni DISPLAY ni WAYLAND_DISPLAY) : la fenêtre n'est pas ouverte. \
             Relancez `cargo xtask demo` depuis une session graphique (ou sous `xvfb-run -a`) : \
             elle s'ouvrira sur ces données, coffre-fort démarré ; application : {}",
            app.display()
        );
        return Ok(());
    }
    println!(
        "La fenêtre s'ouvre (code PIN de démonstration : {pin}) ; fermez-la pour terminer la \
         démonstration."
    );
    let mut cmd = hsm.command(&app);
    cmd.env("SCEAU_CONFIG", cli_config);
    sh(&mut cmd)
}

/// `sceau-desktop` with the production front end embedded (`ui/` built first), in the debug
/// or release profile.
pub fn build_window(release: bool) -> Result<PathBuf> {
    xtask::ui::build()?;
    let mut build = cargo();
    build.args([
        "build",
        "--quiet",
        "-p",
        "sceau-desktop",
        "--features",
        "tauri/custom-protocol",
    ]);
    if release {
        build.arg("--release");
    }
    sh(&mut build)?;
    let profile = if release { "release" } else { "debug" };
    Ok(target_dir().join(profile).join("sceau-desktop"))
}
