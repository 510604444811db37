//! `cargo xtask demo`: the main job on an embedded default.
//!
//! A demo office key (SoftHSM token "Etude 9991" with a qualified signature certificate and an
//! authentication certificate), a local time-stamping authority, and the `sceau` CLI listing the
//! key, signing a sample act (CAdES-T) and verifying it — then OpenSSL verifying it
//! independently. Then the embedded vault (SQLite + files on loopback) with BANQUE TEST and its
//! convention consent, and a complete service from the CLI: first connection, recipient search,
//! signify (convert, sign, deposit, attestation, archive); a private person added by the office
//! (`sceau recipients add`), invited (`sceau consent invite`) and consenting on the portal with
//! a code by e-mail and one by SMS (read from the local SMTP and SMS sinks), then served; the
//! recipient side: the vault notifies through the sinks and serves its portal on its own
//! listener; BANQUE TEST consults its act through the bank API (→ "remis à personne") and
//! answers it (a return); the private person's act is left unconsulted and the vault's test
//! clock moved past its deadline (→ "remis à domicile", with the plain letter as PDF/A-1b); the
//! person revokes her consent and the next service to her is refused; sync, detail and
//! dashboard.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use sceau_testsupport::corpus::simple_pdf;
use sceau_testsupport::oracle::openssl_cms_verify;
use sceau_testsupport::pki::{Identity, IssueRequest, KeySpec, Profile, TestCa};
use sceau_testsupport::sinks::{SmsSink, SmtpOptions, SmtpSink};
use sceau_testsupport::softhsm::{self, OfficeSpec, SoftHsm};
use sceau_testsupport::tsa::TsaServer;

use xtask::{cargo, run as sh, target_dir};

use crate::local::{self, write_cli_config, Listening, LocalVault, Server};

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

/// A mutual-TLS client of the vault with `id` (the bank's API certificate).
/// The bank's API client: its certificate, the vault's CA trusted.
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

/// Prints where a started demo vault listens.
fn show(listening: &Listening) {
    println!("coffre-fort : https://{}", listening.api);
    if let Some(a) = &listening.portal {
        println!("portail des destinataires : https://{a}/portail");
    }
}

/// The demo's vault (SQLite + files on loopback): BANQUE TEST in its directory with its
/// convention consent (typed by the operator), étude 9991 declared. The private person is
/// added by the office and consents on the portal (step 9).
fn demo_vault(bin: &Path, dir: &Path, office_ca: &Path) -> Result<LocalVault> {
    let vault = LocalVault::init(&bin.join("sceau-vault"), &dir.join("coffre"), office_ca)?;
    vault.import_recipients(
        &serde_json::json!([
            {"kind": "bank", "name": "BANQUE TEST", "siret": "73282932000074",
             "email": "significations@banque.test", "phone_mobile": "+33600000001"}
        ]),
        &dir.join("destinataires.json"),
    )?;
    vault.declare_office(office_ca)?;
    vault.consent("siret-73282932000074", &[], "convention de démonstration")?;
    Ok(vault)
}

/// The recipient side: notifications to local sinks, the portal on its own listener, the
/// bank's API certificate (returned, to consult as BANQUE TEST).
fn recipient_side(
    vault: &LocalVault,
    dir: &Path,
    ca: &TestCa,
    smtp: &SmtpSink,
    sms: &SmsSink,
) -> Result<Identity> {
    let portal_port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut cfg = sceau_vault::config::Config::load(Path::new(&vault.config))?;
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
    cfg.save(Path::new(&vault.config))?;
    let bank_id = ca.issue(&IssueRequest::new(
        "BANQUE TEST API",
        KeySpec::EcP256,
        Profile::Authentication,
    ))?;
    let (bank_cert, _) = bank_id.write_pem(dir, "banque-api")?;
    sh(vault
        .admin("bank")
        .args(["--recipient", "siret-73282932000074", "--cert"])
        .arg(&bank_cert))?;
    Ok(bank_id)
}

/// What the demo's services run with: the CLI on the office's key, the vault's server.
struct Office<'a> {
    dir: &'a Path,
    hsm: &'a SoftHsm,
    pin: &'a str,
    sceau: PathBuf,
    cli_config: PathBuf,
    vault: LocalVault,
    server: Server,
    clock: PathBuf,
    /// The portal's base URL (`https://127.0.0.1:PORT`).
    portal: String,
}

impl Office<'_> {
    /// `sceau --config sceau.toml ARGS...`.
    fn cli(&self, args: &[&str]) -> Command {
        local::cli(self.hsm, &self.sceau, &self.cli_config, self.pin, args)
    }
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
    println!("\n== 5. Le coffre-fort embarqué (SQLite + fichiers, boucle locale)");
    let vault = demo_vault(&bin, dir, office_ca)?;
    let smtp = SmtpSink::start(&SmtpOptions::default())?;
    let sms = SmsSink::start(0)?;
    let bank_id = recipient_side(&vault, dir, ca, &smtp, &sms)?;
    let clock = dir.join("horloge-coffre");
    let mut server = vault.server(&clock);
    let listening = server.start()?;
    show(&listening);
    let portal = format!(
        "https://{}",
        listening
            .portal
            .clone()
            .context("the vault's portal did not start")?
    );
    let cli_config = dir.join("sceau.toml");
    let mut office = Office {
        dir,
        hsm,
        pin,
        sceau: bin.join("sceau"),
        cli_config,
        vault,
        server,
        clock,
        portal,
    };
    let result = (|| -> Result<()> {
        write_cli_config(
            &office.cli_config,
            &office.vault,
            &dir.join("poste"),
            &dir.join("poste.key"),
        )?;
        connect_and_serve(&office)?;
        let person = a_person_consents(&office, &smtp, &sms)?;
        serve_the_person(&office, &person)?;
        consult_and_sync(&office, &bank_id)?;
        the_person_revokes(&office, &smtp, &sms, &person)?;
        deliver_at_home(&mut office)?;
        show_results(&office, &smtp, &sms)
    })();
    office.server.stop();
    result
}

/// Steps 6 to 8: first connection, recipient search, a service to BANQUE TEST.
fn connect_and_serve(office: &Office<'_>) -> Result<()> {
    let dir = office.dir;
    println!("\n== 6. Première connexion : le certificat d'authentification est associé à l'étude");
    sh(&mut office.cli(&["connect", "--yes"]))?;
    println!("\n== 7. Recherche du destinataire par SIRET");
    sh(&mut office.cli(&["recipients", "search", "73282932000074"]))?;

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
    let mut signify = office.cli(&[
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
    sh(signify.arg(&act))
}

/// Step 10: a service to the private person who consented at step 9.
fn serve_the_person(office: &Office<'_>, person: &str) -> Result<()> {
    let dir = office.dir;
    println!("\n== 10. Une seconde signification, à un particulier (commandement de payer)");
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
    let mut signify = office.cli(&[
        "signify",
        "--reference",
        "DEMO-2026-002",
        "--recipient",
        person,
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
    sh(signify.arg(&act2))
}

/// Steps 11 and 12: BANQUE TEST consults its act and answers; the office syncs.
fn consult_and_sync(office: &Office<'_>, bank_id: &Identity) -> Result<()> {
    println!("\n== 11. Le destinataire consulte : BANQUE TEST par l'API bancaire");
    let bank = bank_client(bank_id, &office.vault.ca_cert())?;
    bank_consults(&bank, &office.vault.url(), "DEMO-2026-001")?;

    println!("\n== 12. Synchronisation : DEMO-2026-001 remis à personne, retour de la banque");
    sh(&mut office.cli(&["sync"]))?;
    sh(&mut office.cli(&["dashboard", "--category", "delivered_in_person"]))?;
    sh(&mut office.cli(&["dashboard", "--category", "return_awaiting_consultation"]))
}

/// Steps 14 and 15: the vault's test clock past the deadline of DEMO-2026-002, and its plain
/// letter.
fn deliver_at_home(office: &mut Office<'_>) -> Result<()> {
    println!(
        "\n== 14. DEMO-2026-002 n'est pas consulté : l'horloge de test du coffre avance de \
         trois jours, au-delà du délai (remise à domicile)"
    );
    office.server.stop();
    std::fs::write(&office.clock, (3 * 86_400).to_string())?;
    show(&office.server.start()?);
    sh(&mut office.cli(&["sync"]))?;
    sh(&mut office.cli(&["dashboard", "--category", "delivered_at_home"]))?;
    println!("\n== 15. La lettre simple (PDF/A-1b) de la remise à domicile");
    let letter = office.dir.join("lettre_DEMO-2026-002.pdf");
    sh(office
        .cli(&["letter", "DEMO-2026-002", "--out"])
        .arg(&letter))?;
    let verdict = sceau_pdfa::check_pdfa1b(&std::fs::read(&letter)?);
    println!(
        "contrôle PDF/A-1b de la lettre : {}",
        if verdict.conformant {
            "conforme".to_owned()
        } else {
            format!("NON conforme {:?}", verdict.violations)
        }
    );
    Ok(())
}

/// The private person of the demo: the office adds her, she consents on the portal.
const PERSON_EMAIL: &str = "claire.martin@exemple.test";
const PERSON_MOBILE: &str = "+33600000002";

/// How the demo's private person answers on the portal (an HTTP client like a browser without
/// JavaScript; the codes read from the demo's SMTP and SMS sinks).
fn person_answers(
    office: &Office<'_>,
    smtp: &SmtpSink,
    sms: &SmsSink,
    reponse: &str,
) -> Result<String> {
    let client = sceau_testsupport::portal::client(&office.vault.ca_cert())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(
        sceau_testsupport::portal::Invitee {
            client: &client,
            portal: office.portal.clone(),
            smtp,
            sms,
            email: PERSON_EMAIL,
            mobile: PERSON_MOBILE,
        }
        .answer(reponse),
    )
}

/// The `<h1>` of a portal page (what the person reads).
fn title(html: &str) -> &str {
    html.split("<h1>")
        .nth(1)
        .and_then(|t| t.split("</h1>").next())
        .unwrap_or("")
}

/// Step 9: the office adds a private person and invites her; she consents on the portal.
fn a_person_consents(office: &Office<'_>, smtp: &SmtpSink, sms: &SmsSink) -> Result<String> {
    println!(
        "\n== 9. Un particulier : l'étude crée sa fiche et l'invite à consentir ; elle consent \
         sur le portail (un code par courriel, un autre par SMS)"
    );
    let out = office
        .cli(&[
            "--json",
            "recipients",
            "add",
            "person",
            "--civilite",
            "Mme",
            "--nom",
            "Martin",
            "--prenoms",
            "Claire",
            "--ne-le",
            "1984-12-07",
            "--courriel",
            PERSON_EMAIL,
            "--mobile",
            PERSON_MOBILE,
            "--adresse",
            "12 rue de la Paix",
            "--code-postal",
            "75002",
            "--ville",
            "Paris",
        ])
        .output()?;
    if !out.status.success() {
        bail!(
            "sceau recipients add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let card: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let id = card["id"].as_str().context("recipient id")?.to_owned();
    println!(
        "Destinataire créé : {} ({id})",
        card["name"].as_str().unwrap_or("")
    );
    sh(&mut office.cli(&[
        "consent",
        "invite",
        &id,
        "--nature",
        "COMMANDEMENT_DE_PAYER",
    ]))?;
    let page = person_answers(office, smtp, sms, "accepter")?;
    println!("Portail : « {} »", title(&page));
    sh(&mut office.cli(&["consent", "status", &id]))?;
    Ok(id)
}

/// Step 13: the person revokes her consent on the portal; the next service to her is refused
/// (before the vault's test clock moves on at step 14: the workstation and the vault agree on
/// the time, as they do in an office).
fn the_person_revokes(
    office: &Office<'_>,
    smtp: &SmtpSink,
    sms: &SmsSink,
    person: &str,
) -> Result<()> {
    println!(
        "\n== 13. Le particulier révoque son consentement sur le portail : la signification \
         suivante est refusée avant toute signature"
    );
    let page = person_answers(office, smtp, sms, "revoquer")?;
    println!("Portail : « {} »", title(&page));
    sh(&mut office.cli(&["consent", "status", person]))?;
    let act = office.dir.join("commandement_2.pdf");
    std::fs::write(
        &act,
        simple_pdf(
            "Commandement de payer",
            &[
                "Etude 9991 - Commissaire de justice",
                "Le destinataire a consenti a la signification par voie electronique du present acte,",
                "conformement aux articles 662-1 et 748-1 et suivants du code de procedure civile.",
            ],
        ),
    )?;
    let out = office
        .cli(&[
            "signify",
            "--reference",
            "DEMO-2026-003",
            "--recipient",
            person,
            "--nature",
            "COMMANDEMENT_DE_PAYER",
            "--requerant",
            "SA CREANCIER DEMO",
            "--judge-permission",
            "Ordonnance de démonstration",
        ])
        .arg(&act)
        .output()?;
    if out.status.success() {
        bail!("a service after the revocation was accepted");
    }
    println!(
        "Refusé comme attendu : {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}

/// Steps 16 to 18: the office vault, the dashboard, the details, the notifications sent, and
/// the window.
fn show_results(office: &Office<'_>, smtp: &SmtpSink, sms: &SmsSink) -> Result<()> {
    let dir = office.dir;
    println!("\n== 16. Votre coffre et le tableau de bord");
    sh(&mut office.cli(&["vault", "ls", "Significations"]))?;
    sh(&mut office.cli(&["dashboard"]))?;
    println!("\n== 17. Les fiches de détail (les ouvrir marque leurs notifications comme vues)");
    sh(&mut office.cli(&["show", "DEMO-2026-001"]))?;
    sh(&mut office.cli(&["show", "DEMO-2026-002"]))?;
    let (m, t) = keep_messages(smtp, sms, dir)?;
    println!(
        "\nNotifications envoyées par le coffre : {m} courriel(s) dans {}, {t} SMS dans {}",
        dir.join("courriels").display(),
        dir.join("sms").display()
    );
    println!(
        "\nMême données à la main : SOFTHSM2_CONF={} {} --config {} dashboard",
        office.hsm.conf().display(),
        office.sceau.display(),
        office.cli_config.display()
    );
    open_window(office.hsm, &office.cli_config, office.pin)
}

/// Opens the desktop window on the demo's data (same configuration as the CLI above) while the
/// vault runs; without a display, says how to open it.
fn open_window(hsm: &SoftHsm, cli_config: &Path, pin: &str) -> Result<()> {
    println!("\n== 18. L'application de bureau sur ces données");
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
