//! The world of a cross-process test: a SoftHSM office key (étude 9991), the real `sceau-vault`
//! binary on a loopback port of its own, the real `sceau` binary with its own configuration and
//! local store. Tests drive the CLI as a clerk's script would, and check the vault through an
//! independent mutual-TLS client (the office's authentication key, read from the test PKI).
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Arc, OnceLock};

use anyhow::{bail, Context, Result};
use sceau_testsupport::pki::{KeySpec, TestCa};
use sceau_testsupport::softhsm::{self, OfficeSpec, OfficeToken, SoftHsm};

/// SIRET of the demo bank.
pub const BANK_SIRET: &str = "73282932000074";
/// Its vault id.
pub const BANK_ID: &str = "siret-73282932000074";
/// The bank's name, which must never appear in clear in the local database.
pub const BANK_NAME: &str = "BANQUE TEST";
/// The judge's permission used by the tests: the vault runs on the real clock, which may say
/// Sunday or night; the permission keeps the tests timeless.
pub const PERMISSION: &str = "Ordonnance 26/001";

/// Workspace binaries, built once per test process.
fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut build = Command::new(env!("CARGO"));
        build
            .current_dir(&root)
            .args(["build", "--quiet", "-p", "sceau", "-p", "sceau-vault"])
            // The vault's test clock (off in production builds): see ARCHITECTURE.md.
            .args(["--features", "sceau-vault/test-clock"]);
        // The binaries beside this test executable: same profile.
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        let status = build.status().expect("cargo build");
        assert!(status.success(), "building sceau and sceau-vault failed");
        // A test executable is target/<profile>/deps/e2e-<hash>; xtask (bench app) is
        // target/<profile>/xtask.
        let exe = std::env::current_exe().expect("current exe");
        let dir = exe.parent().expect("target dir");
        if dir.ends_with("deps") {
            dir.parent().expect("target dir").to_path_buf()
        } else {
            dir.to_path_buf()
        }
    })
}

/// The `sceau` binary.
pub fn sceau_bin() -> PathBuf {
    bin_dir().join("sceau")
}

/// The `sceau-vault` binary.
pub fn vault_bin() -> PathBuf {
    bin_dir().join("sceau-vault")
}

/// One test's world.
pub struct World {
    /// Everything lives here.
    pub dir: tempfile::TempDir,
    /// The SoftHSM installation.
    pub hsm: SoftHsm,
    /// The office key.
    pub office: OfficeToken,
    /// The office CA.
    pub ca: TestCa,
    /// The vault's configuration file.
    pub vault_config: PathBuf,
    /// The vault's data directory.
    pub vault_data: PathBuf,
    /// The vault's port (kept across restarts).
    pub port: u16,
    /// The CLI's configuration file.
    pub cli_config: PathBuf,
    /// The CLI's data directory (local store, outbox, archives).
    pub data_dir: PathBuf,
    /// The vault's test clock: the shift of its time, seconds (see [`World::shift_vault_clock`]).
    pub clock_file: PathBuf,
    /// The recipient side, once [`World::with_recipient_side`] configured it.
    pub recipient_side: Option<RecipientSide>,
    vault: Option<Child>,
}

/// The recipient side on loopback: the SMTP and SMS sinks the vault notifies through, and the
/// port of its portal's own listener.
pub struct RecipientSide {
    /// The SMTP sink (real `aiosmtpd`).
    pub smtp: sceau_testsupport::sinks::SmtpSink,
    /// The SMS gateway sink.
    pub sms: sceau_testsupport::sinks::SmsSink,
    /// The portal's port on 127.0.0.1.
    pub portal_port: u16,
}

impl Drop for World {
    fn drop(&mut self) {
        self.stop_vault();
    }
}

fn check(out: &Output, what: &str) -> Result<()> {
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

impl World {
    /// A vault with the demo bank and a person, their consents, and an office key; the vault
    /// is not started.
    pub fn new() -> Result<World> {
        let dir = tempfile::tempdir()?;
        let ca = TestCa::new("AC des commissaires de justice (e2e)", KeySpec::EcP256)?;
        let (ca_pem, _) = ca.identity.write_pem(dir.path(), "office-ca")?;
        let hsm = SoftHsm::at(&dir.path().join("softhsm"))?;
        let office = hsm.office_token(&ca, &OfficeSpec::demo("Etude9991", KeySpec::EcP256))?;

        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let vault_data = dir.path().join("vault");
        let out = Command::new(vault_bin())
            .arg("init")
            .arg(&vault_data)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            // A free port for the portal too (port + 1, the default, may be taken).
            .args(["--portal-listen", "127.0.0.1:0"])
            .arg("--client-ca")
            .arg(&ca_pem)
            .output()?;
        check(&out, "sceau-vault init")?;
        let vault_config = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let csv = dir.path().join("recipients.csv");
        std::fs::write(
            &csv,
            format!(
                "kind,name,siret,email\nbank,{BANK_NAME},{BANK_SIRET},significations@banque.test\n"
            ),
        )?;
        let vault_cli = |args: &[&str]| -> Result<()> {
            let out = Command::new(vault_bin()).args(args).output()?;
            check(&out, &format!("sceau-vault {args:?}"))
        };
        let cfg = vault_config.to_string_lossy().into_owned();
        vault_cli(&[
            "recipients",
            "--config",
            &cfg,
            "import",
            &csv.to_string_lossy(),
        ])?;
        // The operator declares the office before its first connection.
        vault_cli(&[
            "office",
            "--config",
            &cfg,
            "add",
            "--number",
            "9991",
            "--holder",
            "Jeanne DUPONT",
            "--ca",
            &ca_pem.to_string_lossy(),
        ])?;
        vault_cli(&[
            "consent",
            "--config",
            &cfg,
            "add",
            "--recipient",
            BANK_ID,
            "--toutes-natures",
            "--given-at",
            "2020-01-01",
        ])?;

        let data_dir = dir.path().join("workstation");
        let cli_config = dir.path().join("sceau.toml");
        std::fs::write(
            &cli_config,
            format!(
                "pkcs11_module = {module:?}\nvault_url = \"https://127.0.0.1:{port}\"\nvault_ca = {ca:?}\n\
                 data_dir = {data:?}\noffice_number = \"9991\"\noffice_name = \"Etude 9991\"\n\
                 insecure_store_key_file = {key:?}\n",
                module = softhsm::module_path()?.to_string_lossy(),
                ca = vault_data.join("vault-ca.crt.pem").to_string_lossy(),
                data = data_dir.to_string_lossy(),
                key = dir.path().join("store.key").to_string_lossy(),
            ),
        )?;
        let clock_file = dir.path().join("vault-clock");
        Ok(World {
            dir,
            hsm,
            office,
            ca,
            vault_config,
            vault_data,
            port,
            cli_config,
            data_dir,
            clock_file,
            recipient_side: None,
            vault: None,
        })
    }

    /// Adds a company with this SIRET to the (stopped) vault's directory, without any consent.
    pub fn company_without_consent(&self, name: &str, siret: &str) -> Result<()> {
        let csv = self.dir.path().join(format!("{siret}.csv"));
        std::fs::write(
            &csv,
            format!("kind,name,siret,email\ncompany,{name},{siret},a@b.test\n"),
        )?;
        let out = Command::new(vault_bin())
            .args(["recipients", "--config"])
            .arg(&self.vault_config)
            .arg("import")
            .arg(&csv)
            .output()?;
        check(&out, "sceau-vault recipients import")
    }

    /// Makes the (stopped) vault notify recipients through local sinks and serve its portal on
    /// a listener of its own.
    pub fn with_recipient_side(&mut self) -> Result<()> {
        use sceau_testsupport::sinks::{SmsSink, SmtpOptions, SmtpSink};
        use sceau_vault::config::{Config, SmsConfig, SmtpConfig, SmtpSecurity};
        let smtp = SmtpSink::start(&SmtpOptions::default())?;
        let sms = SmsSink::start(0)?;
        let portal_port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut cfg = Config::load(&self.vault_config)?;
        cfg.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port: smtp.port,
            security: SmtpSecurity::Plain,
            username: None,
            password: None,
            from: "Coffre Sceau <coffre@sceau.test>".into(),
            ca_file: None,
        });
        cfg.sms = Some(SmsConfig::new(sms.url()));
        cfg.portal.listen = Some(format!("127.0.0.1:{portal_port}"));
        cfg.portal.public_url = format!("https://127.0.0.1:{portal_port}");
        cfg.save(&self.vault_config)?;
        self.recipient_side = Some(RecipientSide {
            smtp,
            sms,
            portal_port,
        });
        Ok(())
    }

    /// A client of the portal (server TLS checked against the vault's CA, no client
    /// certificate, redirects not followed).
    pub fn portal_client(&self) -> reqwest::Client {
        sceau_testsupport::portal::client(&self.vault_data.join("vault-ca.crt.pem")).unwrap()
    }

    /// Starts `sceau-vault serve` and waits until it listens.
    pub fn start_vault(&mut self) -> Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("vault.log"))?;
        let mut child = Command::new(vault_bin())
            .arg("serve")
            .arg("--config")
            .arg(&self.vault_config)
            .env("SCEAU_VAULT_TEST_CLOCK", &self.clock_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()?;
        let mut reader = BufReader::new(child.stdout.take().context("vault stdout")?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if !line.starts_with("listening on ") {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the vault did not start: {line:?}");
        }
        if self.recipient_side.is_some() {
            line.clear();
            reader.read_line(&mut line)?;
            if !line.starts_with("portal listening on ") {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the vault's portal did not start: {line:?}");
            }
        }
        // Keep reading: a closed stdout would fail the vault's next print.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                sink.clear();
            }
        });
        self.vault = Some(child);
        Ok(())
    }

    /// Moves the vault's clock `seconds` ahead of the real time (from its next reading).
    pub fn shift_vault_clock(&self, seconds: i64) -> Result<()> {
        std::fs::write(&self.clock_file, seconds.to_string())?;
        Ok(())
    }

    /// Issues the bank's API certificate and binds it to BANQUE TEST (`sceau-vault bank`; run
    /// with the vault stopped). Returns a client authenticating with it.
    pub fn bind_bank(&self) -> Result<reqwest::Client> {
        use sceau_testsupport::pki::{IssueRequest, Profile};
        let id = self.ca.issue(&IssueRequest::new(
            "Banque Test API",
            KeySpec::EcP256,
            Profile::Authentication,
        ))?;
        let (cert, _) = id.write_pem(self.dir.path(), "bank")?;
        let out = Command::new(vault_bin())
            .arg("bank")
            .arg("--config")
            .arg(&self.vault_config)
            .args(["--recipient", BANK_ID])
            .arg("--cert")
            .arg(&cert)
            .output()?;
        check(&out, "sceau-vault bank")?;
        Ok(self.mtls_client(&id))
    }

    /// `https://127.0.0.1:PORT{path}` on the vault.
    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// Runs `f` on a fresh current-thread runtime (tests are synchronous).
    pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// The acts the bank's API lists for `bank` (its client from [`World::bind_bank`]).
    pub fn bank_acts(&self, bank: &reqwest::Client) -> Result<sceau_proto::BankActList> {
        Self::block_on(async {
            Ok(bank
                .get(self.url("/v1/bank/acts"))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?)
        })
    }

    /// The bank reads the first document of `act` through its API (the act is then delivered
    /// "à personne"); returns the HTTP status.
    pub fn bank_reads(&self, bank: &reqwest::Client, act: &sceau_proto::BankAct) -> Result<u16> {
        let first = act.documents.first().context("an act without document")?;
        Self::block_on(async {
            Ok(bank
                .get(self.url(&format!(
                    "/v1/bank/acts/{}/documents/{first}",
                    act.deposit_id
                )))
                .send()
                .await?
                .status()
                .as_u16())
        })
    }

    /// Freezes the vault's process (SIGSTOP): it accepts nothing and answers nothing, as a stalled
    /// server would, until [`World::resume_vault`]. A service started meanwhile stays running.
    pub fn pause_vault(&self) -> Result<()> {
        self.signal_vault("-STOP")
    }

    /// Lets a vault frozen by [`World::pause_vault`] go on.
    pub fn resume_vault(&self) -> Result<()> {
        self.signal_vault("-CONT")
    }

    fn signal_vault(&self, signal: &str) -> Result<()> {
        let pid = self
            .vault
            .as_ref()
            .context("the vault is not started")?
            .id();
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()?;
        anyhow::ensure!(status.success(), "kill {signal} {pid} failed");
        Ok(())
    }

    /// Stops the vault (SIGKILL: nothing is flushed on its behalf).
    pub fn stop_vault(&mut self) {
        if let Some(mut c) = self.vault.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// `sceau --config ... ARGS` with the SoftHSM environment and the PIN in `SCEAU_PIN`.
    pub fn sceau(&self, args: &[&str]) -> Command {
        let mut cmd = self.hsm.command(sceau_bin());
        cmd.arg("--config")
            .arg(&self.cli_config)
            .args(args)
            .env("SCEAU_PIN", &self.office.pin)
            .env_remove("SCEAU_TEST_PAUSE_AT")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `sceau --json ARGS`; returns (exit code, stdout JSON, stderr).
    pub fn run_json(&self, args: &[&str]) -> (i32, serde_json::Value, String) {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        eprintln!("$ sceau {}", full.join(" "));
        let mut cmd = self.sceau(&full);
        // `E2E_DEBUG=1` logs the CLI at debug level on the test's stderr; any other value is
        // taken as the filter (e.g. `E2E_DEBUG=debug,hyper_util=trace`).
        if let Some(filter) = std::env::var_os("E2E_DEBUG") {
            let filter = if filter == "1" {
                "debug".into()
            } else {
                filter
            };
            cmd.env("SCEAU_LOG", filter).stderr(Stdio::inherit());
        }
        let out = cmd.output().expect("running sceau");
        eprintln!("  -> {:?}", out.status);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let json = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
        (out.status.code().unwrap_or(-1), json, stderr)
    }

    /// Runs `sceau --json ARGS`, which must succeed.
    pub fn ok(&self, args: &[&str]) -> serde_json::Value {
        let (code, json, stderr) = self.run_json(args);
        assert_eq!(
            code,
            0,
            "sceau {args:?} failed: {json}\n{stderr}\n{}",
            self.vault_log_tail()
        );
        json
    }

    /// Exports the proof of integrity of `vault_path` (`sceau vault proof`) to `out` and checks
    /// it offline with `sceau-vault verify-proof`.
    pub fn proof_verifies(&self, vault_path: &str, out: &Path) {
        self.ok(&[
            "vault",
            "proof",
            vault_path,
            "--out",
            &out.to_string_lossy(),
        ]);
        let verify = std::process::Command::new(vault_bin())
            .arg("verify-proof")
            .arg(out)
            .output()
            .expect("sceau-vault verify-proof");
        assert!(
            verify.status.success(),
            "{}",
            String::from_utf8_lossy(&verify.stdout)
        );
    }

    /// The workstation's copy of a file of service `key` named by `field` of `sceau show`'s
    /// JSON (`archive`, `delivery_notice_file`, `return_file`): checks that it is sealed (no
    /// clear bytes on disk), writes a readable copy with `sceau save` and returns the local
    /// path and the readable bytes.
    pub fn kept_file(&self, shown: &serde_json::Value, field: &str) -> (PathBuf, Vec<u8>) {
        let local = PathBuf::from(
            shown[field]
                .as_str()
                .unwrap_or_else(|| panic!("{field} kept locally: {shown}")),
        );
        let sealed = std::fs::read(&local).unwrap();
        assert!(
            sealed.starts_with(b"SCEAUF01"),
            "{} is kept sealed",
            local.display()
        );
        let which = match field {
            "archive" => "archive",
            "delivery_notice_file" => "avis",
            "return_file" => "retour",
            other => panic!("no local file {other}"),
        };
        let key = shown["reference"].as_str().expect("a reference");
        let out = self.dir.path().join(format!("copie-{key}-{which}"));
        self.ok(&[
            "save",
            key,
            "--file",
            which,
            "--out",
            &out.to_string_lossy(),
        ]);
        let bytes = std::fs::read(&out).unwrap();
        (local, bytes)
    }

    /// The last lines of the vault's log, for a failure's message.
    pub fn vault_log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("vault.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        format!(
            "--- vault.log (end) ---\n{}",
            lines[lines.len().saturating_sub(30)..].join("\n")
        )
    }

    /// Runs `sceau --json ARGS`, which must fail; returns (exit code, error code, message).
    pub fn fails(&self, args: &[&str]) -> (i32, String, String) {
        let (code, json, stderr) = self.run_json(args);
        assert_ne!(
            code, 0,
            "sceau {args:?} should have failed: {json}\n{stderr}"
        );
        let e = &json["error"];
        (
            code,
            e["code"].as_str().unwrap_or_default().to_owned(),
            e["message"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// First connection: binds the office key to étude 9991.
    pub fn connect(&self) {
        let c = self.ok(&["connect", "--yes"]);
        assert_eq!(c["office"]["number"], "9991");
    }

    /// An act (PDF) with the consent mention, named `name`.
    pub fn act(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(
            &p,
            sceau_testsupport::corpus::simple_pdf(
                "Acte de saisie-attribution",
                &[
                    "Etude 9991 - Commissaire de justice",
                    "Proces-verbal de saisie-attribution",
                    "Le destinataire a consenti a la signification par voie electronique,",
                    "conformement aux articles 662-1 et 748-1 et suivants du code de procedure civile.",
                ],
            ),
        )
        .unwrap();
        p
    }

    /// `signify` arguments for `reference` with one act, to the demo bank.
    pub fn signify_args(&self, reference: &str, act: &Path) -> Vec<String> {
        self.signify_args_to(reference, BANK_SIRET, act)
    }

    /// `signify` arguments for `reference` with one act, to `recipient`.
    pub fn signify_args_to(&self, reference: &str, recipient: &str, act: &Path) -> Vec<String> {
        vec![
            "signify".into(),
            "--reference".into(),
            reference.into(),
            "--recipient".into(),
            recipient.into(),
            "--nature".into(),
            "SAISIE_ATTRIBUTION".into(),
            "--requerant".into(),
            "SA CREANCIER".into(),
            "--judge-permission".into(),
            PERMISSION.into(),
            act.to_string_lossy().into_owned(),
        ]
    }

    /// Starts `sceau ARGS` paused at `point` (the `SCEAU_TEST_PAUSE_AT` hook) and returns it
    /// once it has announced the point.
    pub fn paused_at(&self, args: &[String], point: &str) -> Paused {
        let mut cmd = self.sceau(&args.iter().map(String::as_str).collect::<Vec<_>>());
        cmd.env("SCEAU_TEST_PAUSE_AT", point)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn sceau");
        let stderr = child.stderr.take().expect("stderr");
        let mut reader = BufReader::new(stderr);
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).expect("read stderr");
            assert!(n > 0, "sceau ended before reaching {point}: {seen}");
            if line.trim() == format!("SCEAU_PAUSE {point}") {
                break;
            }
            seen.push_str(&line);
        }
        // Keep draining stderr so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                sink.clear();
            }
        });
        let stdin = child.stdin.take();
        Paused {
            child: Some(child),
            stdin,
        }
    }

    /// The office's services as the vault lists them, through an independent client.
    pub fn vault_services(&self) -> sceau_proto::SearchPage {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let c = self.independent_client();
            let r = c
                .get(format!(
                    "https://127.0.0.1:{}/v1/services?per_page=100",
                    self.port
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json().await.unwrap()
        })
    }

    fn independent_client(&self) -> reqwest::Client {
        self.mtls_client(&self.office.authentication)
    }

    /// A mutual-TLS client of the vault authenticating with `id`.
    pub fn mtls_client(&self, id: &sceau_testsupport::pki::Identity) -> reqwest::Client {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let pem = std::fs::read_to_string(self.vault_data.join("vault-ca.crt.pem")).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        for der in pem_certs(&pem) {
            roots.add(CertificateDer::from(der)).unwrap();
        }
        let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(
            vec![CertificateDer::from(id.cert_der.clone())],
            PrivateKeyDer::Pkcs8(id.key_pkcs8_der.clone().into()),
        )
        .unwrap();
        reqwest::Client::builder()
            .tls_backend_preconfigured(cfg)
            .build()
            .unwrap()
    }

    /// Every file of the local store (database, WAL, shared memory).
    pub fn store_files(&self) -> Vec<PathBuf> {
        std::fs::read_dir(&self.data_dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("sceau.db"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A `sceau` process paused at a named point.
pub struct Paused {
    child: Option<Child>,
    stdin: Option<ChildStdin>,
}

impl Drop for Paused {
    fn drop(&mut self) {
        // A failing test must not leave the process waiting behind it.
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Paused {
    /// Kills it with SIGKILL, as a crash or a power cut would.
    pub fn kill(mut self) {
        let mut c = self.child.take().expect("child");
        c.kill().expect("kill");
        let _ = c.wait();
    }

    /// Lets it go on and returns its exit code.
    pub fn resume(mut self) -> i32 {
        if let Some(mut s) = self.stdin.take() {
            let _ = s.write_all(b"\n");
        }
        let mut c = self.child.take().expect("child");
        c.wait().expect("wait").code().unwrap_or(-1)
    }
}

fn pem_certs(pem: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    pem.split("-----BEGIN CERTIFICATE-----")
        .skip(1)
        .filter_map(|c| c.split("-----END CERTIFICATE-----").next())
        .filter_map(|b| {
            let b: String = b.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD.decode(b).ok()
        })
        .collect()
}
