//! A vault on loopback with mutual TLS, on either backend, with a fixed clock; clients with
//! certificates from a test CA.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
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

/// The first working Tuesday at least two days from now, 09:00 UTC (10:00 or 11:00 in Paris):
/// within legal hours and within the validity of freshly issued test certificates.
pub fn tuesday_morning() -> DateTime<Utc> {
    use chrono::{Datelike, Duration, Weekday};
    let cal = sceau_core::calendar::Calendar::default();
    let mut day = (Utc::now() + Duration::days(2)).date_naive();
    while day.weekday() != Weekday::Tue || cal.is_public_holiday(day) {
        day += Duration::days(1);
    }
    Utc.from_utc_datetime(&day.and_hms_opt(9, 0, 0).unwrap())
}

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

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.addr.port())
    }

    fn roots(&self) -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        for der in sceau_vault::keys::load_cert_ders(
            &self.config.data_dir.join(sceau_vault::keys::files::CA_CERT),
        )
        .unwrap()
        {
            roots.add(CertificateDer::from(der)).unwrap();
        }
        roots
    }

    /// A client authenticating with `id` (or with no certificate).
    pub fn client(&self, id: Option<&Identity>) -> reqwest::Client {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(self.roots());
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
}

/// Binds `id` to office `number` and returns a client for it.
pub async fn bound_client(h: &Harness, id: &Identity, number: &str) -> reqwest::Client {
    let c = h.client(Some(id));
    let s: sceau_proto::Session = c
        .get(h.url("/v1/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = c
        .post(h.url("/v1/session/bind"))
        .json(&sceau_proto::BindRequest {
            confirm_fingerprint_sha256: s.certificate.fingerprint_sha256,
            office_number: number.into(),
            office_name: format!("Etude {number}"),
        })
        .send()
        .await
        .unwrap();
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
    let pdf =
        sceau_testsupport::corpus::simple_pdf(title, &["Acte de commissaire de justice", title]);
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

/// A package ZIP and its SHA-256 hex.
pub fn package(spec: &PackageSpec<'_>) -> (Vec<u8>, String) {
    use std::io::Write;
    let manifest = sceau_proto::DepositManifest {
        reference: spec.reference.into(),
        recipient_id: spec.recipient_id.into(),
        nature: spec.nature.into(),
        judge_permission: spec.judge_permission.map(str::to_owned),
        source: sceau_proto::Source::Form,
        documents: spec
            .acts
            .iter()
            .map(|(n, _, _)| sceau_proto::ManifestDocument {
                file: n.clone(),
                signature: format!("{n}.p7s"),
            })
            .collect(),
        data_message: "message_acte.xml".into(),
    };
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file(sceau_proto::MANIFEST_NAME, opts).unwrap();
    zip.write_all(&serde_json::to_vec(&manifest).unwrap())
        .unwrap();
    for (n, pdf, sig) in &spec.acts {
        zip.start_file(n.as_str(), opts).unwrap();
        zip.write_all(pdf).unwrap();
        zip.start_file(format!("{n}.p7s"), opts).unwrap();
        zip.write_all(sig).unwrap();
    }
    zip.start_file("message_acte.xml", opts).unwrap();
    zip.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><message_acte/>")
        .unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    (bytes, sha)
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
        acts: vec![(format!("9991_{reference}_20260303_100000.pdf"), pdf, sig)],
    })
}

/// Sends a package.
pub async fn put_package(
    h: &Harness,
    c: &reqwest::Client,
    key: &str,
    pkg: &(Vec<u8>, String),
) -> reqwest::Response {
    c.put(h.url(&format!("/v1/deposits/{key}")))
        .header(sceau_proto::CONTENT_SHA256_HEADER, &pkg.1)
        .body(pkg.0.clone())
        .send()
        .await
        .unwrap()
}

/// The demo bank with a consent for every nature from a year ago.
pub async fn bank_with_consent(h: &Harness) -> String {
    use sceau_vault::store::meta::RecipientRow;
    let row = RecipientRow {
        id: "banque-test".into(),
        kind: sceau_proto::RecipientKind::Bank,
        name: "BANQUE TEST".into(),
        siret: Some("73282932000074".into()),
        siren: Some("732829320".into()),
        nir: None,
        email: Some("significations@banque.test".into()),
        phone_fixed: None,
        phone_mobile: None,
    };
    let given = (tuesday_morning() - chrono::Duration::days(365)).date_naive();
    tokio::task::block_in_place(|| {
        sceau_vault::store::sql::tx(h.vault.meta.as_ref(), |sql| {
            sceau_vault::store::meta::upsert_recipient(sql, &row)
        })
        .unwrap();
        sceau_vault::admin::add_consent(
            h.vault.meta.as_ref(),
            &row.id,
            vec![],
            given,
            None,
            "convention",
        )
        .unwrap();
    });
    row.id
}
