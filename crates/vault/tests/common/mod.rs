//! A vault on loopback with mutual TLS, on either backend, with a fixed clock; clients with
//! certificates from a test CA.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sceau_testsupport::pki::{Identity, IssueRequest, KeySpec, Profile, TestCa};
use sceau_testsupport::postgres::PgServer;
use sceau_testsupport::s3::MotoServer;
use sceau_vault::config::{BlobConfig, Config, FixedClock, MetadataConfig};
use sceau_vault::store::blobs::S3Config;
use sceau_vault::{PdfaChecker, Vault};

/// Which storage the vault runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite + files.
    Embedded,
    /// PostgreSQL + S3 (moto).
    Scaled,
}

pub use sceau_testsupport::deposit::tuesday_morning;

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub vault: Arc<Vault>,
    pub clock: Arc<FixedClock>,
    pub addr: SocketAddr,
    pub ca: TestCa,
    pub ca_pem: PathBuf,
    server: tokio::task::JoinHandle<()>,
    pg: Option<PgServer>,
    moto: Option<MotoServer>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// An office's two certificates (same holder).
pub struct OfficeIds {
    pub auth: Identity,
    pub sign: Identity,
}

pub fn person(ca: &TestCa, holder: &str, office: &str, profile: Profile) -> Identity {
    let (g, s) = holder.split_once(' ').unwrap();
    ca.issue(&IssueRequest {
        given_name: Some(g.into()),
        surname: Some(s.into()),
        title: Some("Commissaire de justice".into()),
        organization: Some(office.into()),
        ..IssueRequest::new(holder, KeySpec::EcP256, profile)
    })
    .unwrap()
}

pub fn office_ids(ca: &TestCa, holder: &str, office: &str) -> OfficeIds {
    OfficeIds {
        auth: person(ca, holder, office, Profile::Authentication),
        sign: person(ca, holder, office, Profile::Signature),
    }
}

impl Harness {
    pub async fn start(backend: Backend, pdfa: Arc<dyn PdfaChecker>) -> Harness {
        Self::start_with(backend, pdfa, |_, _| {}).await
    }

    /// Like `start`, letting `tweak` change the configuration (the test CA is given).
    pub async fn start_with(
        backend: Backend,
        pdfa: Arc<dyn PdfaChecker>,
        tweak: impl FnOnce(&mut Config, &TestCa),
    ) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let ca = TestCa::new("AC des commissaires de justice", KeySpec::EcP256).unwrap();
        let (ca_pem, _) = ca.identity.write_pem(dir.path(), "client-ca").unwrap();
        let data = dir.path().join("data");
        let cfg_path = sceau_vault::init(
            &data,
            "127.0.0.1:0",
            &["127.0.0.1".into(), "localhost".into()],
            vec![ca_pem.clone()],
        )
        .unwrap();
        let mut config = Config::load(&cfg_path).unwrap();
        let (mut pg, mut moto) = (None, None);
        if backend == Backend::Scaled {
            let p = PgServer::start().unwrap();
            config.metadata = MetadataConfig::Postgres {
                url: p.create_database("vault").unwrap(),
            };
            let m = MotoServer::start().unwrap();
            m.create_bucket("vault").unwrap();
            config.blobs = BlobConfig::S3(S3Config {
                endpoint: m.endpoint(),
                bucket: "vault".into(),
                region: "us-east-1".into(),
                access_key_id: "test".into(),
                secret_access_key: "test".into(),
            });
            pg = Some(p);
            moto = Some(m);
        }
        tweak(&mut config, &ca);
        let clock = Arc::new(FixedClock::new(tuesday_morning()));
        let vault = Vault::open(config.clone(), clock.clone(), pdfa)
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let tls = vault.tls_config().unwrap();
        let app = sceau_vault::app(vault.clone());
        let server = tokio::spawn(async move {
            let _ = sceau_vault::serve(listener, tls, app).await;
        });
        Harness {
            dir,
            config,
            vault,
            clock,
            addr,
            ca,
            ca_pem,
            server,
            pg,
            moto,
        }
    }

    /// A second vault instance on this harness's database and bucket (issue 20): its own data
    /// directory, a copy of the first's keys (as an operator deploys a second machine), the
    /// same clock. Not served: the caller serves it if it needs to.
    pub async fn second_instance(&self) -> Arc<Vault> {
        let dir = self.dir.path().join("data-instance-2");
        let st = std::process::Command::new("cp")
            .arg("-a")
            .arg(&self.config.data_dir)
            .arg(&dir)
            .status()
            .unwrap();
        assert!(st.success());
        let mut config = self.config.clone();
        config.data_dir = dir;
        Vault::open(config, self.clock.clone(), Arc::new(sceau_vault::SceauPdfa))
            .await
            .unwrap()
    }

    /// Stops the S3 server of a scaled harness: the blob store no longer answers.
    pub fn stop_blob_server(&mut self) {
        self.moto.take();
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.addr.port())
    }

    /// A client authenticating with `id` (or with no certificate).
    pub fn client(&self, id: Option<&Identity>) -> reqwest::Client {
        mtls_client(&self.config.data_dir, id)
    }
}

/// A client of the vault whose data directory is `data` (its server CA is trusted),
/// authenticating with `id` (or with no certificate).
pub fn mtls_client(data: &std::path::Path, id: Option<&Identity>) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    for der in
        sceau_vault::keys::load_cert_ders(&data.join(sceau_vault::keys::files::CA_CERT)).unwrap()
    {
        roots.add(CertificateDer::from(der)).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let cfg = match id {
        Some(id) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from(id.cert_der.clone())],
                PrivateKeyDer::Pkcs8(id.key_pkcs8_der.clone().into()),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    reqwest::Client::builder()
        .tls_backend_preconfigured(cfg)
        .build()
        .unwrap()
}

/// GETs `url` with `c` and decodes the JSON answer.
pub async fn get_json<T: serde::de::DeserializeOwned>(
    c: &reqwest::Client,
    url: impl reqwest::IntoUrl,
) -> T {
    c.get(url).send().await.unwrap().json().await.unwrap()
}

/// POSTs `body` as JSON to `url` with `c` and decodes the JSON answer.
pub async fn post_json<T: serde::de::DeserializeOwned>(
    c: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    body: &impl serde::Serialize,
) -> T {
    c.post(url)
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Asks to bind `c`'s certificate to office `number` named `name`, confirming the fingerprint
/// the session shows, on the vault at `base` (`https://host:port`); the answer is returned as is.
pub async fn try_bind(
    c: &reqwest::Client,
    base: &str,
    number: &str,
    name: &str,
) -> reqwest::Response {
    let s: sceau_proto::Session = get_json(c, format!("{base}/v1/session")).await;
    c.post(format!("{base}/v1/session/bind"))
        .json(&sceau_proto::BindRequest {
            confirm_fingerprint_sha256: s.certificate.fingerprint_sha256,
            office_number: number.into(),
            office_name: name.into(),
        })
        .send()
        .await
        .unwrap()
}

/// The holder identity (whole subject) the vault reads in `id`'s certificate.
pub fn holder_of(id: &Identity) -> String {
    sceau_vault::peer::Peer::from_der(&id.cert_der)
        .unwrap()
        .holder()
        .unwrap()
}

impl Harness {
    /// Declares office `number` for `holder` under the harness's CA, as the operator does
    /// with `sceau-vault office add`.
    /// (On a plain thread: the PostgreSQL client blocks, and panics on a runtime's thread.)
    pub fn declare_office(&self, number: &str, holder: &str) {
        std::thread::scope(|s| {
            s.spawn(|| {
                sceau_vault::admin::declare_office(
                    self.vault.meta.as_ref(),
                    &self.config,
                    number,
                    holder,
                    &self.ca_pem,
                    None,
                    chrono::Utc::now(),
                )
                .unwrap();
            });
        });
    }

    /// Whether office `number` is declared.
    pub fn office_declared(&self, number: &str) -> bool {
        std::thread::scope(|s| {
            s.spawn(|| {
                sceau_vault::store::sql::tx(self.vault.meta.as_ref(), |sql| {
                    sceau_vault::store::meta::declared_office(sql, number)
                })
                .unwrap()
                .is_some()
            })
            .join()
            .unwrap()
        })
    }
}

/// Binds `id` to office `number` (declaring the office for `id`'s holder first unless it is
/// declared already) and returns a client for it.
pub async fn bound_client(h: &Harness, id: &Identity, number: &str) -> reqwest::Client {
    if !h.office_declared(number) {
        h.declare_office(number, &holder_of(id));
    }
    let c = h.client(Some(id));
    let r = try_bind(&c, &h.url(""), number, &format!("Etude {number}")).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    c
}

/// The `{code, message}` of an error answer.
pub async fn code(r: reqwest::Response) -> String {
    let body: sceau_proto::ErrorBody = r.json().await.unwrap();
    assert!(!body.message.is_empty());
    body.code
}

/// A PDF/A-1b act made by sceau-pdfa from a simple PDF.
pub fn pdfa_act(title: &str) -> Vec<u8> {
    let [l1, l2] = sceau_testsupport::corpus::CONSENT_LINES;
    let pdf = sceau_testsupport::corpus::simple_pdf(
        title,
        &["Acte de commissaire de justice", title, l1, l2],
    );
    let out = sceau_pdfa::convert_native(&pdf).unwrap();
    assert!(sceau_pdfa::check_pdfa1b(&out).conformant);
    out
}

/// A detached CAdES-BES signature of `content` by `id` (an EC P-256 identity).
pub fn sign(id: &Identity, content: &[u8]) -> Vec<u8> {
    use p256::pkcs8::DecodePrivateKey;
    let key = p256::ecdsa::SigningKey::from_pkcs8_der(&id.key_pkcs8_der).unwrap();
    let cert = id.certificate().unwrap();
    sceau_cades::sign_detached::<_, p256::ecdsa::DerSignature>(
        &key,
        &sceau_cades::SignOptions {
            content,
            signer_cert: &cert,
            chain: &[],
            digest: sceau_cades::DigestAlgorithm::Sha256,
            signing_time: Utc::now(),
        },
    )
    .unwrap()
}

/// What goes into a package.
pub struct PackageSpec<'a> {
    pub recipient_id: &'a str,
    pub nature: &'a str,
    pub reference: &'a str,
    pub judge_permission: Option<&'a str>,
    /// (file name, PDF bytes, signature bytes)
    pub acts: Vec<(String, Vec<u8>, Vec<u8>)>,
}

/// Names of the recipients made by [`recipient_row`] (what a data message calls them).
static RECIPIENT_NAMES: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

/// The name of recipient `id` ("BANQUE TEST" for one made elsewhere).
pub fn recipient_name(id: &str) -> String {
    RECIPIENT_NAMES
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|(i, _)| i == id)
        .map_or_else(|| "BANQUE TEST".to_owned(), |(_, n)| n.clone())
}

/// The office number an act's file name starts with (`9991_REF_…`).
pub fn office_of(act_name: &str) -> &str {
    act_name.split('_').next().unwrap_or("9991")
}

/// The office number of a signer: the digits of its organization ("Etude 1234"), else 9991.
pub fn office_number_of(signer: &Identity) -> String {
    let org = sceau_cades::summarize(&signer.certificate().unwrap())
        .organization
        .unwrap_or_default();
    let digits: String = org.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        "9991".into()
    } else {
        digits
    }
}

/// The act's data message, made by sceau-core: from the office of the first act's name, to
/// the manifest's recipient.
pub fn data_message(spec: &PackageSpec<'_>) -> String {
    let documents: Vec<(&str, &[u8])> = spec
        .acts
        .iter()
        .map(|(n, pdf, _)| (n.as_str(), pdf.as_slice()))
        .collect();
    let office = spec.acts.first().map_or("9991", |(n, _, _)| office_of(n));
    sceau_testsupport::deposit::act_message_for(
        &sceau_testsupport::deposit::ActMessage {
            nature: spec.nature,
            reference: spec.reference,
            judge_permission: spec.judge_permission,
            at: tuesday_morning(),
            documents: &documents,
        },
        office,
        &recipient_name(spec.recipient_id),
    )
}

/// A package ZIP and its SHA-256 hex.
pub fn package(spec: &PackageSpec<'_>) -> (Vec<u8>, String) {
    package_with(spec, &[])
}

/// A package with extra entries (to test the layout checks).
pub fn package_with(spec: &PackageSpec<'_>, extra: &[(&str, &[u8])]) -> (Vec<u8>, String) {
    let files: Vec<&str> = spec.acts.iter().map(|(n, _, _)| n.as_str()).collect();
    let manifest = sceau_testsupport::deposit::manifest(
        spec.reference,
        spec.recipient_id,
        spec.nature,
        spec.judge_permission,
        sceau_proto::Source::Form,
        &files,
    );
    let acts: Vec<_> = spec
        .acts
        .iter()
        .map(|(n, pdf, sig)| (n.as_str(), pdf.as_slice(), sig.as_slice()))
        .collect();
    sceau_testsupport::deposit::package_zip(&manifest, &acts, &data_message(spec), extra).unwrap()
}

/// A one-act package signed by `signer`.
pub fn simple_package(
    signer: &Identity,
    recipient_id: &str,
    nature: &str,
    reference: &str,
) -> (Vec<u8>, String) {
    let pdf = pdfa_act(reference);
    let sig = sign(signer, &pdf);
    package(&PackageSpec {
        recipient_id,
        nature,
        reference,
        judge_permission: None,
        acts: vec![(
            format!(
                "{}_{reference}_20260303_100000.pdf",
                office_number_of(signer)
            ),
            pdf,
            sig,
        )],
    })
}

/// A deposit's archive as filed in its office's vault: the vault entry and the ZIP's files.
pub struct Archived {
    pub entry: sceau_proto::VaultEntry,
    pub zip: zip::ZipArchive<std::io::Cursor<Vec<u8>>>,
}

impl Archived {
    /// The bytes of file `name` of the archive.
    pub fn read(&mut self, name: &str) -> Vec<u8> {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut self.zip.by_name(name).unwrap(), &mut v).unwrap();
        v
    }
}

/// The archive at `archive_path` in the vault of office `number`.
pub async fn archived(h: &Harness, number: &str, archive_path: &str) -> Archived {
    let number = number.to_owned();
    let office_id = h
        .vault
        .db(move |sql| sceau_vault::store::meta::office_by_number(sql, &number))
        .await
        .unwrap()
        .unwrap()
        .office
        .id;
    let path = archive_path.to_owned();
    let entry = h
        .vault
        .db(move |sql| sceau_vault::store::meta::entry(sql, &office_id, &path))
        .await
        .unwrap()
        .unwrap();
    let bytes = h
        .vault
        .blobs
        .get(entry.sha256.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    Archived {
        entry,
        zip: zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap(),
    }
}

/// Starts the real `sceau-vault serve` on `config` with the environment `env`; the child and
/// its address once it listens.
pub fn serve_binary(
    config: &std::path::Path,
    env: &[(&str, &str)],
) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sceau-vault"))
        .envs(env.iter().copied())
        .args(["serve", "--config"])
        .arg(config)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    (child, addr)
}

/// Sends a package.
pub async fn put_package(
    h: &Harness,
    c: &reqwest::Client,
    key: &str,
    pkg: &(Vec<u8>, String),
) -> reqwest::Response {
    put_package_at(c, &h.url(""), key, pkg).await
}

/// Sends a package and decodes the JSON answer.
pub async fn put_package_json<T: serde::de::DeserializeOwned>(
    h: &Harness,
    c: &reqwest::Client,
    key: &str,
    pkg: &(Vec<u8>, String),
) -> T {
    put_package(h, c, key, pkg).await.json().await.unwrap()
}

/// Sends a package to the vault at `base` (`https://host:port`).
pub async fn put_package_at(
    c: &reqwest::Client,
    base: &str,
    key: &str,
    pkg: &(Vec<u8>, String),
) -> reqwest::Response {
    c.put(format!("{base}/v1/deposits/{key}"))
        .header(sceau_proto::CONTENT_SHA256_HEADER, &pkg.1)
        .body(pkg.0.clone())
        .send()
        .await
        .unwrap()
}

/// Records `row` as a recipient consenting, from `given`, to every nature (`source`: how the
/// consent was given).
pub fn add_recipient_with_consent(
    h: &Harness,
    row: &sceau_vault::store::meta::RecipientRow,
    given: chrono::NaiveDate,
    source: &str,
) {
    tokio::task::block_in_place(|| {
        sceau_vault::store::sql::tx(h.vault.meta.as_ref(), |sql| {
            sceau_vault::store::meta::upsert_recipient(sql, row)
        })
        .unwrap();
        sceau_vault::admin::add_consent(
            h.vault.meta.as_ref(),
            &row.id,
            sceau_vault::admin::NatureChoice::Every,
            sceau_core::paris_day_start(given),
            None,
            source,
            h.vault.clock.now(),
        )
        .unwrap();
    });
}

/// A recipient of `kind` named `name`, reachable at `email` and `mobile` when given.
pub fn recipient_row(
    id: &str,
    kind: sceau_proto::RecipientKind,
    name: String,
    email: Option<&str>,
    mobile: Option<&str>,
) -> sceau_vault::store::meta::RecipientRow {
    RECIPIENT_NAMES
        .lock()
        .unwrap()
        .push((id.to_owned(), name.clone()));
    sceau_vault::store::meta::RecipientRow {
        id: id.into(),
        kind,
        name,
        siret: None,
        siren: None,
        nir: None,
        email: email.map(str::to_owned),
        phone_fixed: None,
        phone_mobile: mobile.map(str::to_owned),
    }
}

/// The SMTP relay on loopback at `port`, without credentials, trusting `ca` when given.
pub fn smtp_config(
    port: u16,
    security: sceau_vault::config::SmtpSecurity,
    ca: Option<PathBuf>,
) -> sceau_vault::config::SmtpConfig {
    sceau_vault::config::SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security,
        username: None,
        password: None,
        from: "Coffre Sceau <coffre@sceau.test>".into(),
        ca_file: ca,
    }
}

/// The SMS gateway at `url`, sent `body_template` as JSON by POST without credentials.
pub fn sms_config(url: String, body_template: &str) -> sceau_vault::config::SmsConfig {
    sceau_vault::config::SmsConfig {
        body_template: body_template.into(),
        ..sceau_vault::config::SmsConfig::new(url)
    }
}

/// A server certificate for 127.0.0.1 issued by `ca`, written in `dir` as `name` (certificate
/// and key PEM), and the CA's certificate written as `ca_name`.
pub fn loopback_server_pem(
    ca: &TestCa,
    dir: &std::path::Path,
    name: &str,
    ca_name: &str,
) -> ((PathBuf, PathBuf), PathBuf) {
    let server = ca
        .issue(&IssueRequest::new(
            "127.0.0.1",
            KeySpec::EcP256,
            Profile::Server,
        ))
        .unwrap();
    let cert_key = server.write_pem(dir, name).unwrap();
    let (ca_pem, _) = ca.identity.write_pem(dir, ca_name).unwrap();
    (cert_key, ca_pem)
}

/// The demo bank with a consent for every nature from a year ago.
pub async fn bank_with_consent(h: &Harness) -> String {
    let row = sceau_vault::store::meta::RecipientRow {
        siret: Some("73282932000074".into()),
        siren: Some("732829320".into()),
        ..recipient_row(
            "banque-test",
            sceau_proto::RecipientKind::Bank,
            "BANQUE TEST".into(),
            Some("significations@banque.test"),
            None,
        )
    };
    let given = (tuesday_morning() - chrono::Duration::days(365)).date_naive();
    add_recipient_with_consent(h, &row, given, "convention");
    row.id
}

/// A browser-like client of the portal: trusts the vault's CA, no client certificate, no
/// redirects followed, cookies handled by the test.
pub fn browser(h: &Harness) -> reqwest::Client {
    sceau_testsupport::portal::client(&h.config.data_dir.join(sceau_vault::keys::files::CA_CERT))
        .unwrap()
}

/// The `Set-Cookie` headers of an answer.
pub fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The value of cookie `name` among `Set-Cookie` headers.
pub fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies.iter().find_map(|c| {
        c.split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    })
}

/// The value of the hidden field `name` of a page's form.
pub fn hidden(html: &str, name: &str) -> String {
    sceau_testsupport::portal::hidden(html, name).unwrap()
}

/// A vault on `backend` notifying through a real SMTP sink and an SMS gateway on loopback, with
/// its portal served on its own listener (`public_url` set to it); `tweak` changes the rest of
/// the configuration.
pub struct PortalSide {
    pub h: Harness,
    pub smtp: sceau_testsupport::sinks::SmtpSink,
    pub sms: sceau_testsupport::sinks::SmsSink,
    pub portal: SocketAddr,
    pub audit: sceau_vault::portal::AuditLog,
    task: tokio::task::JoinHandle<()>,
}

impl PortalSide {
    pub async fn start(backend: Backend, tweak: impl FnOnce(&mut Config)) -> PortalSide {
        use sceau_testsupport::sinks::{SmsSink, SmtpOptions, SmtpSink};
        let sms = SmsSink::start(0).unwrap();
        let smtp = SmtpSink::start(&SmtpOptions::default()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let portal = listener.local_addr().unwrap();
        let (sms_url, smtp_port) = (sms.url(), smtp.port);
        let h = Harness::start_with(backend, Arc::new(sceau_vault::SceauPdfa), |cfg, _| {
            cfg.smtp = Some(smtp_config(
                smtp_port,
                sceau_vault::config::SmtpSecurity::Plain,
                None,
            ));
            cfg.sms = Some(sms_config(sms_url, r#"{"to": "{to}", "text": "{text}"}"#));
            cfg.portal.public_url = format!("https://127.0.0.1:{}", portal.port());
            tweak(cfg);
        })
        .await;
        let tls = sceau_vault::portal::tls_config(&h.vault).unwrap();
        let (app, audit) = sceau_vault::portal_app_with_audit(h.vault.clone());
        let task = tokio::spawn(async move {
            let _ = sceau_vault::serve(listener, tls, app).await;
        });
        PortalSide {
            h,
            smtp,
            sms,
            portal,
            audit,
            task,
        }
    }

    /// The portal's URL of `path`.
    pub fn purl(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.portal.port())
    }
}

impl Drop for PortalSide {
    fn drop(&mut self) {
        self.task.abort();
    }
}
