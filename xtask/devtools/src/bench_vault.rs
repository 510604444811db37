//! `cargo xtask bench vault`: deposits per second of 200 KB packages from 16 concurrent clients
//! over mutual TLS on loopback, with p50/p99 latency, on SQLite + files, on PostgreSQL + S3
//! (moto, a mock) and on PostgreSQL + a three-node Garage cluster (replication factor 3) with
//! one and with two vault instances (the clients alternate between them); then
//! `verify-journal` events per second over 1,000,000 events.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::Utc;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sceau_testsupport::deposit::{self, tuesday_morning};
use sceau_testsupport::garage::GarageCluster;
use sceau_testsupport::pki::{Identity, IssueRequest, KeySpec, Profile, TestCa};
use sceau_testsupport::postgres::PgServer;
use sceau_testsupport::s3::MotoServer;
use sceau_vault::config::{BlobConfig, Config, FixedClock, MetadataConfig};
use sceau_vault::store::blobs::S3Config;
use sceau_vault::Vault;

const CLIENTS: usize = 16;
const PACKAGE_BYTES: usize = 200 * 1024;
const BUDGET: Duration = Duration::from_secs(15);
const JOURNAL_EVENTS: usize = 1_000_000;

/// Runs the benchmark.
pub fn run() -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    println!(
        "bench vault — {CLIENTS} concurrent mTLS clients on loopback, packages of {} KB, {} s per backend",
        PACKAGE_BYTES / 1024,
        BUDGET.as_secs()
    );
    println!(
        "{:<26} {:>10} {:>12} {:>10} {:>10}",
        "backend", "deposits", "deposits/s", "p50 ms", "p99 ms"
    );
    // The machine is shared: the load says how much of the two cores the run really had.
    let load = || {
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into())
    };
    println!("load average before: {}", load());
    // SCEAU_BENCH_VAULT=journal measures the journal alone (after a deposit run, the page
    // cache's writeback of its gigabyte of blobs can still be competing for the cores).
    let only_journal = std::env::var("SCEAU_BENCH_VAULT").is_ok_and(|v| v == "journal");
    if !only_journal {
        for backend in [
            Backend::Files,
            Backend::Moto,
            Backend::Garage { instances: 1 },
            Backend::Garage { instances: 2 },
        ] {
            rt.block_on(deposits(backend))?;
        }
        println!("load average after: {}", load());
        println!("goal (SQLite + files): >= 200 deposits/s, p99 < 250 ms");
        println!("goal (PostgreSQL + Garage): >= 300 deposits/s, p99 < 250 ms");
    }
    journal()?;
    println!("goal: verify-journal >= 200,000 events/s");
    Ok(())
}

fn person(ca: &TestCa, profile: Profile) -> Result<Identity> {
    ca.issue(&IssueRequest {
        given_name: Some("Jeanne".into()),
        surname: Some("DUPONT".into()),
        title: Some("Commissaire de justice".into()),
        organization: Some("Etude 9991".into()),
        ..IssueRequest::new("Jeanne DUPONT", KeySpec::EcP256, profile)
    })
}

/// Where the vault keeps its data, and how many instances serve.
#[derive(Debug, Clone, Copy)]
enum Backend {
    /// SQLite + files, one instance (the embedded mode).
    Files,
    /// PostgreSQL + moto (an S3 mock), one instance.
    Moto,
    /// PostgreSQL + a three-node Garage cluster.
    Garage {
        /// Vault instances on the same database and bucket.
        instances: usize,
    },
}

impl Backend {
    fn label(self) -> String {
        match self {
            Backend::Files => "SQLite + files".into(),
            Backend::Moto => "PostgreSQL + S3 (moto)".into(),
            Backend::Garage { instances } => format!("PostgreSQL + Garage x{instances}"),
        }
    }
}

struct Setup {
    dir: tempfile::TempDir,
    _pg: Option<PgServer>,
    _moto: Option<MotoServer>,
    _garage: Option<GarageCluster>,
    vault: Arc<Vault>,
    config: Config,
    ca: TestCa,
}

async fn setup(backend: Backend) -> Result<Setup> {
    let dir = tempfile::tempdir()?;
    let ca = TestCa::new("AC bench", KeySpec::EcP256)?;
    let (ca_pem, _) = ca.identity.write_pem(dir.path(), "client-ca")?;
    let data = dir.path().join("data");
    let cfg_path = sceau_vault::init(
        &data,
        "127.0.0.1:0",
        &["127.0.0.1".into()],
        vec![ca_pem.clone()],
    )?;
    let mut config = Config::load(&cfg_path)?;
    let (mut pg, mut moto, mut garage) = (None, None, None);
    if !matches!(backend, Backend::Files) {
        let p = PgServer::start()?;
        config.metadata = MetadataConfig::Postgres {
            url: p.create_database("vault")?,
        };
        pg = Some(p);
    }
    if let Backend::Garage { .. } = backend {
        let g = GarageCluster::start(3, "vault")?;
        config.blobs = BlobConfig::S3(S3Config {
            endpoint: g.endpoint(0),
            bucket: g.bucket.clone(),
            region: sceau_testsupport::garage::REGION.into(),
            access_key_id: g.access_key_id.clone(),
            secret_access_key: g.secret_access_key.clone(),
        });
        garage = Some(g);
    }
    if let Backend::Moto = backend {
        let m = MotoServer::start()?;
        m.create_bucket("vault")?;
        config.blobs = BlobConfig::S3(S3Config {
            endpoint: m.endpoint(),
            bucket: "vault".into(),
            region: "us-east-1".into(),
            access_key_id: "bench".into(),
            secret_access_key: "bench".into(),
        });
        moto = Some(m);
    }
    let clock = Arc::new(FixedClock::new(tuesday_morning()));
    let vault = Vault::open(config.clone(), clock, Arc::new(sceau_vault::SceauPdfa)).await?;
    declare_office(&vault, &config, &ca_pem).await?;
    Ok(Setup {
        dir,
        _pg: pg,
        _moto: moto,
        _garage: garage,
        vault,
        config,
        ca,
    })
}

fn client(config: &Config, id: &Identity) -> Result<reqwest::Client> {
    let mut roots = rustls::RootCertStore::empty();
    for der in
        sceau_vault::keys::load_cert_ders(&config.data_dir.join(sceau_vault::keys::files::CA_CERT))?
    {
        roots.add(CertificateDer::from(der))?;
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
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

/// A package of about 200 KB: one signed PDF/A act (text lines added until the package makes the
/// size), its signature, the data message and the single XML flow.
fn package(sign: &Identity) -> Result<(Vec<u8>, String)> {
    use p256::pkcs8::DecodePrivateKey;
    // Text lines are added until the act makes up the package size (within 10 %).
    let mut n = 400usize;
    let mut pdf = Vec::new();
    for _ in 0..8 {
        let lines: Vec<String> = (0..n)
            .map(|i| format!("Ligne {i} du proces-verbal de saisie attribution, 0123456789"))
            .collect();
        let mut refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        refs.extend(sceau_testsupport::corpus::CONSENT_LINES);
        pdf = sceau_pdfa::convert_native(&sceau_testsupport::corpus::simple_pdf("Acte", &refs))?;
        // The package carries the act twice: as itself and in base64 in the single XML flow
        // (4/3): the act is 3/7 of the package.
        let target = (PACKAGE_BYTES - 8192) * 3 / 7;
        if pdf.len() <= target && pdf.len() * 10 >= target * 9 {
            break;
        }
        n = (n * target / pdf.len().max(1)).max(1);
    }
    let key = p256::ecdsa::SigningKey::from_pkcs8_der(&sign.key_pkcs8_der)?;
    let cert = sign.certificate()?;
    let sig = sceau_cades::sign_detached::<_, p256::ecdsa::DerSignature>(
        &key,
        &sceau_cades::SignOptions {
            content: &pdf,
            signer_cert: &cert,
            chain: &[],
            digest: sceau_cades::DigestAlgorithm::Sha256,
            signing_time: Utc::now(),
        },
    )?;
    let name = "9991_BENCH_20260303_100000.pdf";
    let manifest = deposit::manifest(
        "BENCH",
        "banque-test",
        "SAISIE_ATTRIBUTION",
        None,
        sceau_proto::Source::Edi,
        &[name],
    );
    let message = deposit::act_message(&deposit::ActMessage {
        nature: "SAISIE_ATTRIBUTION",
        reference: "BENCH",
        judge_permission: None,
        at: Utc::now(),
        documents: &[(name, &pdf)],
    });
    let (bytes, sha) = deposit::package_zip(&manifest, &[(name, &pdf, &sig)], &message, &[])?;
    eprintln!(
        "package: {} KB (act {} KB)",
        bytes.len() / 1024,
        pdf.len() / 1024
    );
    Ok((bytes, sha))
}

/// A second vault instance beside `s`'s: its own data directory (a copy of the keys), the same
/// database and bucket (through another Garage node), served on its own port.
async fn second_instance(s: &Setup, endpoint: String) -> Result<Arc<Vault>> {
    let dir = s.dir.path().join("data-instance-2");
    let st = std::process::Command::new("cp")
        .arg("-a")
        .arg(&s.config.data_dir)
        .arg(&dir)
        .status()?;
    if !st.success() {
        bail!("copying the data directory failed");
    }
    let mut config = s.config.clone();
    config.data_dir = dir;
    if let BlobConfig::S3(c) = &mut config.blobs {
        c.endpoint = endpoint;
    }
    let clock = Arc::new(FixedClock::new(tuesday_morning()));
    Ok(Vault::open(config, clock, Arc::new(sceau_vault::SceauPdfa)).await?)
}

async fn deposits(backend: Backend) -> Result<()> {
    let s = setup(backend).await?;
    let auth = person(&s.ca, Profile::Authentication)?;
    let sign = person(&s.ca, Profile::Signature)?;
    {
        let meta = s.vault.meta.clone();
        tokio::task::spawn_blocking(move || -> Result<()> {
            sceau_vault::store::sql::tx(meta.as_ref(), |sql| {
                sceau_vault::store::meta::upsert_recipient(
                    sql,
                    &sceau_vault::store::meta::RecipientRow {
                        id: "banque-test".into(),
                        kind: sceau_proto::RecipientKind::Bank,
                        name: "BANQUE TEST".into(),
                        siret: Some("73282932000074".into()),
                        siren: Some("732829320".into()),
                        nir: None,
                        email: None,
                        phone_fixed: None,
                        phone_mobile: None,
                    },
                )
            })?;
            sceau_vault::admin::add_consent(
                meta.as_ref(),
                "banque-test",
                sceau_vault::admin::NatureChoice::Every,
                sceau_core::paris_day_start(
                    chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default(),
                ),
                None,
                "bench",
                chrono::Utc::now(),
            )?;
            Ok(())
        })
        .await??;
    }
    let mut vaults = vec![s.vault.clone()];
    if let (Backend::Garage { instances: 2 }, Some(g)) = (backend, &s._garage) {
        vaults.push(second_instance(&s, g.endpoint(1)).await?);
    }
    let mut servers = Vec::new();
    let mut bases = Vec::new();
    for v in &vaults {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let tls = v.tls_config()?;
        servers.push(tokio::spawn(sceau_vault::serve(
            listener,
            tls,
            sceau_vault::app(v.clone()),
        )));
        bases.push(format!("https://{addr}"));
    }
    let base = bases[0].clone();
    let c = client(&s.config, &auth)?;
    let session: sceau_proto::Session = c
        .get(format!("{base}/v1/session"))
        .send()
        .await?
        .json()
        .await?;
    let r = c
        .post(format!("{base}/v1/session/bind"))
        .json(&sceau_proto::BindRequest {
            confirm_fingerprint_sha256: session.certificate.fingerprint_sha256,
            office_number: "9991".into(),
            office_name: "Etude 9991".into(),
        })
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("bind failed: {}", r.text().await?);
    }
    // The body as `Bytes`: each request shares it instead of copying 200 KB (the clients run on
    // the same two cores as the server; their work is not the vault's).
    let pkg = {
        let (body, sha) = package(&sign)?;
        Arc::new((bytes::Bytes::from(body), sha))
    };
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..CLIENTS {
        let c = client(&s.config, &auth)?;
        // The clients alternate between the instances (a balancer's round robin).
        let (pkg, base) = (pkg.clone(), bases[t % bases.len()].clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = 0u64;
            while start.elapsed() < BUDGET {
                i += 1;
                let t0 = Instant::now();
                let r = c
                    .put(format!("{base}/v1/deposits/bench-{t:02}-{i:08}"))
                    .header(sceau_proto::CONTENT_SHA256_HEADER, &pkg.1)
                    .body(pkg.0.clone())
                    .send()
                    .await?;
                if !r.status().is_success() {
                    bail!("deposit failed: {}", r.text().await?);
                }
                lat.push(t0.elapsed());
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.context("client task")??);
    }
    let secs = start.elapsed().as_secs_f64();
    for server in servers {
        server.abort();
    }
    lat.sort();
    let pct = |p: f64| {
        let i = ((lat.len() as f64 - 1.0) * p).round() as usize;
        lat.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{:<26} {:>10} {:>12.1} {:>10.1} {:>10.1}",
        backend.label(),
        lat.len(),
        lat.len() as f64 / secs,
        pct(0.50),
        pct(0.99)
    );
    Ok(())
}

fn journal() -> Result<()> {
    use sceau_core::evidence::EvidenceEvent;
    use sceau_vault::journal::{append, record, verify, Entry, Verification};
    let dir = tempfile::tempdir()?;
    let meta = sceau_vault::store::sql::SqliteMeta::open(&dir.path().join("j.db"))?;
    sceau_vault::store::sql::tx(&meta, |sql| sceau_vault::store::meta::migrate(sql))?;
    let t0 = Instant::now();
    let at = Utc::now();
    for batch in 0..JOURNAL_EVENTS / 50_000 {
        let entries: Vec<Entry> = (0..50_000)
            .map(|i| Entry {
                record: record(
                    EvidenceEvent::ContentConsignment,
                    at,
                    "etude:9991",
                    "banque-test",
                    &format!("deposit-{batch}-{i}"),
                    vec![("9991_REF_20260303_100000.pdf".into(), [7u8; 32])],
                    None,
                ),
                office_id: Some("office".into()),
                message: "Fichier déposé dans le coffre destinataire".into(),
            })
            .collect();
        sceau_vault::store::sql::tx(&meta, |sql| append(sql, &entries))?;
    }
    let filled = t0.elapsed();
    let t1 = Instant::now();
    let outcome = verify(&meta)?;
    let secs = t1.elapsed().as_secs_f64();
    match outcome {
        Verification::Intact { count } => println!(
            "verify-journal (SQLite): {count} events in {secs:.2} s = {:.0} events/s (journal written in {:.1} s)",
            count as f64 / secs,
            filled.as_secs_f64()
        ),
        Verification::Broken { seq } => bail!("journal broken at {seq}"),
    }
    Ok(())
}

/// Declares the bench's office (9991, Jeanne DUPONT, the bench CA), as an operator does before
/// its first connection; shared with `bench upload`.
pub(crate) async fn declare_office(
    vault: &Vault,
    config: &Config,
    ca_pem: &std::path::Path,
) -> Result<()> {
    let (meta, c, pem) = (vault.meta.clone(), config.clone(), ca_pem.to_path_buf());
    tokio::task::spawn_blocking(move || {
        sceau_vault::admin::declare_office(
            meta.as_ref(),
            &c,
            "9991",
            "Jeanne DUPONT",
            &pem,
            None,
            chrono::Utc::now(),
        )
    })
    .await??;
    Ok(())
}
