//! Two `sceau-vault serve` processes behind HAProxy (TCP pass-through, health checks on
//! `/v1/health`) on one PostgreSQL and a three-node Garage cluster with replication factor 3
//! (issue 20): 200 deposits from 16 clients with retries, one Garage node stopped and one vault
//! instance SIGKILLed in the middle. Every acknowledged deposit is downloadable with its archive,
//! exists once, its recipient got one notice, its delivery was decided once, and
//! `verify-journal` finds one unbroken chain.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::sign as sign_act;
use common::*;
use sceau_proto::DepositReceipt;
use sceau_testsupport::garage::GarageCluster;
use sceau_testsupport::pki::{IssueRequest, KeySpec, Profile, TestCa};
use sceau_testsupport::postgres::{free_port, PgServer};
use sceau_testsupport::sinks::{SmtpOptions, SmtpSink};
use sceau_vault::config::{BlobConfig, Config, MetadataConfig, SmtpSecurity};
use sceau_vault::store::blobs::S3Config;

const BIN: &str = env!("CARGO_BIN_EXE_sceau-vault");
const DEPOSITS: usize = 200;
const CLIENTS: usize = 16;
const BANK: &str = "siret-73282932000074";

fn cli(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A child process killed when the test ends, passed or not.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `sceau-vault serve` on `config`; its address once it listens.
fn serve(config: &Path) -> (Killed, String) {
    let (child, addr) = serve_binary(config, &[]);
    (Killed(child), addr)
}

/// HAProxy in TCP pass-through in front of `servers`, checking `/v1/health` over TLS.
fn haproxy(dir: &Path, servers: &[&str]) -> (Killed, u16) {
    let port = free_port().unwrap();
    let backends: String = servers
        .iter()
        .enumerate()
        .map(|(i, a)| {
            format!("    server vault{i} {a} check check-ssl verify none inter 300 fall 2 rise 2\n")
        })
        .collect();
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(
        &cfg,
        format!(
            "global\n    maxconn 512\ndefaults\n    mode tcp\n    timeout connect 2s\n    \
             timeout client 60s\n    timeout server 60s\nfrontend vault\n    bind \
             127.0.0.1:{port}\n    default_backend vaults\nbackend vaults\n    balance \
             roundrobin\n    option httpchk GET /v1/health\n{backends}"
        ),
    )
    .unwrap();
    let child = Command::new("haproxy")
        .arg("-f")
        .arg(&cfg)
        .arg("-db")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy must be installed (cargo xtask setup)");
    (Killed(child), port)
}

struct Cluster {
    dir: tempfile::TempDir,
    ca: TestCa,
    data: PathBuf,
    configs: [PathBuf; 2],
    _pg: PgServer,
    garage: GarageCluster,
    smtp: SmtpSink,
}

/// The operator's set-up: `init`, a second instance's copy of the data directory, PostgreSQL
/// and Garage in `vault.toml`, one bank recipient consenting, the office declared.
fn cluster() -> Cluster {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("AC", KeySpec::EcP256).unwrap();
    let (ca_pem, _) = ca.identity.write_pem(dir.path(), "client-ca").unwrap();
    let data = dir.path().join("data-a");
    let config_a = PathBuf::from(
        cli(&[
            "init",
            data.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--client-ca",
            ca_pem.to_str().unwrap(),
        ])
        .trim(),
    );
    let pg = PgServer::start().unwrap();
    let garage = GarageCluster::start(3, "vault").unwrap();
    let smtp = SmtpSink::start(&SmtpOptions::default()).unwrap();
    let mut cfg = Config::load(&config_a).unwrap();
    cfg.metadata = MetadataConfig::Postgres {
        url: pg.create_database("vault").unwrap(),
    };
    cfg.blobs = BlobConfig::S3(S3Config {
        endpoint: garage.endpoint(0),
        bucket: garage.bucket.clone(),
        region: sceau_testsupport::garage::REGION.into(),
        access_key_id: garage.access_key_id.clone(),
        secret_access_key: garage.secret_access_key.clone(),
    });
    cfg.smtp = Some(smtp_config(smtp.port, SmtpSecurity::Plain, None));
    // A dead instance's claims go to the other after a few seconds, not fifteen minutes.
    cfg.notify.claim_lease_secs = 5;
    cfg.save(&config_a).unwrap();
    // The second machine: a copy of the keys, another Garage node.
    let data_b = dir.path().join("data-b");
    let st = Command::new("cp")
        .arg("-a")
        .arg(&data)
        .arg(&data_b)
        .status()
        .unwrap();
    assert!(st.success());
    let config_b = data_b.join("vault.toml");
    let mut cfg_b = cfg.clone();
    cfg_b.data_dir = data_b.clone();
    if let BlobConfig::S3(s3) = &mut cfg_b.blobs {
        s3.endpoint = garage.endpoint(1);
    }
    cfg_b.save(&config_b).unwrap();
    let c = config_a.to_str().unwrap();
    let csv = dir.path().join("r.csv");
    std::fs::write(
        &csv,
        "kind,name,siret,email\nbank,BANQUE TEST,73282932000074,actes@banque.test\n",
    )
    .unwrap();
    cli(&["recipients", "--config", c, "import", csv.to_str().unwrap()]);
    cli(&[
        "consent",
        "--config",
        c,
        "add",
        "--recipient",
        BANK,
        "--toutes-natures",
        "--given-at",
        "2020-01-01",
    ]);
    cli(&[
        "office",
        "--config",
        c,
        "add",
        "--number",
        "9991",
        "--holder",
        "Jeanne DUPONT",
        "--ca",
        ca_pem.to_str().unwrap(),
    ]);
    Cluster {
        dir,
        ca,
        data,
        configs: [config_a, config_b],
        _pg: pg,
        garage,
        smtp,
    }
}

/// Sends the package of `reference` with its key until an instance acknowledges it (a client
/// retrying through the balancer, as the workstation does).
async fn deposit_until_acknowledged(
    c: &reqwest::Client,
    base: &str,
    pkg: &(Vec<u8>, String),
    key: &str,
) -> DepositReceipt {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let r = c
            .put(format!("{base}/v1/deposits/{key}"))
            .header(sceau_proto::CONTENT_SHA256_HEADER, &pkg.1)
            .body(pkg.0.clone())
            .send()
            .await;
        match r {
            Ok(r) if r.status().is_success() => return r.json().await.unwrap(),
            Ok(r) if r.status().is_client_error() => {
                panic!("{key} refused: {}", r.text().await.unwrap())
            }
            _ => {
                assert!(Instant::now() < deadline, "{key} never acknowledged");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

fn query_one(config: &Path, sql: &'static str) -> i64 {
    let cfg = Config::load(config).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Runtime::new().unwrap();
            let store = rt.block_on(sceau_vault::OperatorStore::open(cfg)).unwrap();
            sceau_vault::store::sql::tx(store.meta.as_ref(), |sql_| {
                Ok(sql_.query(sql, &[])?[0][0].int())
            })
            .unwrap()
        })
        .join()
        .unwrap()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_behind_a_balancer_lose_nothing_when_one_dies() {
    let mut k = cluster();
    let (_a, addr_a) = serve(&k.configs[0]);
    let (b, addr_b) = serve(&k.configs[1]);
    let (_lb, port) = haproxy(k.dir.path(), &[&addr_a, &addr_b]);
    let base = format!("https://127.0.0.1:{port}");
    let auth = person(
        &k.ca,
        "Jeanne DUPONT",
        "Etude 9991",
        Profile::Authentication,
    );
    let sign = person(&k.ca, "Jeanne DUPONT", "Etude 9991", Profile::Signature);
    // Through the balancer once both instances are in service.
    let c = mtls_client(&k.data, Some(&auth));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = c.get(format!("{base}/v1/session")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the balancer never answered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        try_bind(&c, &base, "9991", "Etude 9991").await.status(),
        200
    );

    // 16 clients, 200 deposits; a Garage node stops after 50, instance B dies after 100.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    // One act (signed once), 200 references; the real clock may say night or Sunday: a judge's
    // permission keeps the test timeless.
    let pdf = pdfa_act("Acte");
    let sig = sign_act(&sign, &pdf);
    let packages: Vec<(String, (Vec<u8>, String))> = (0..DEPOSITS)
        .map(|i| {
            let reference = format!("REF_{i:04}");
            let p = package(&PackageSpec {
                recipient_id: BANK,
                nature: "SAISIE_ATTRIBUTION",
                reference: &reference,
                judge_permission: Some("Ordonnance 26/001"),
                acts: vec![(
                    format!("9991_{reference}_20260303_100000.pdf"),
                    pdf.clone(),
                    sig.clone(),
                )],
            });
            (format!("cle-cluster-{i:06}"), p)
        })
        .collect();
    let packages = Arc::new(packages);
    let mut tasks = Vec::new();
    for t in 0..CLIENTS {
        let (c, base, packages, ack) = (
            mtls_client(&k.data, Some(&auth)),
            base.clone(),
            packages.clone(),
            acknowledged.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for (key, pkg) in packages.iter().skip(t).step_by(CLIENTS) {
                mine.push(deposit_until_acknowledged(&c, &base, pkg, key).await);
                ack.fetch_add(1, Ordering::SeqCst);
            }
            mine
        }));
    }
    let mut stopped_node = false;
    while acknowledged.load(Ordering::SeqCst) < 100 {
        if !stopped_node && acknowledged.load(Ordering::SeqCst) >= 50 {
            k.garage.stop_node(2);
            stopped_node = true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(b); // SIGKILL, mid-run
    let mut receipts = Vec::new();
    for t in tasks {
        receipts.extend(t.await.unwrap());
    }
    assert_eq!(receipts.len(), DEPOSITS);
    assert!(stopped_node);

    // Each deposit once, one key each.
    assert_eq!(
        query_one(&k.configs[0], "SELECT COUNT(*) FROM deposits"),
        DEPOSITS as i64
    );
    let mut ids: Vec<&str> = receipts.iter().map(|r| r.deposit_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), DEPOSITS);
    // Every acknowledged deposit's archive downloads (two Garage nodes of three are left).
    for r in &receipts {
        let got = c
            .get(format!("{base}/v1/vault/file?path={}", r.archive_path))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), 200, "{}", r.archive_path);
        let zip = zip::ZipArchive::new(std::io::Cursor::new(got.bytes().await.unwrap().to_vec()))
            .unwrap();
        assert!(zip.file_names().any(|n| n == "attestation_depot.xml"));
    }

    // The bank reads every act through its API, whichever instance answers: each deposit is
    // decided "à personne" once.
    let bank =
        k.ca.issue(&IssueRequest::new(
            "Banque Test API",
            KeySpec::EcP256,
            Profile::Authentication,
        ))
        .unwrap();
    let (bank_pem, _) = bank.write_pem(k.dir.path(), "bank").unwrap();
    cli(&[
        "bank",
        "--config",
        k.configs[0].to_str().unwrap(),
        "--recipient",
        BANK,
        "--cert",
        bank_pem.to_str().unwrap(),
    ]);
    let api = mtls_client(&k.data, Some(&bank));
    for r in &receipts {
        let got = api
            .get(format!(
                "{base}/v1/bank/acts/{}/documents/{}",
                r.deposit_id, r.documents[0]
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), 200);
    }
    assert_eq!(
        query_one(
            &k.configs[0],
            "SELECT COUNT(*) FROM journal WHERE event = 'sceau:DeliveredInPerson'"
        ),
        DEPOSITS as i64,
        "each delivery decided once"
    );

    // One notice per deposit, sent by the survivor (B's claims included, after their lease):
    // one evidence record each, one message each. A send B made just before its death without
    // recording it is made again by A (at least once, never zero) — the same message, by its
    // Message-ID, which the recipient's mail system shows once; no more than B had in flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    while query_one(
        &k.configs[0],
        "SELECT COUNT(*) FROM notifications WHERE status = 'sent'",
    ) < DEPOSITS as i64
    {
        assert!(Instant::now() < deadline, "notices not all sent");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        query_one(
            &k.configs[0],
            "SELECT COUNT(*) FROM journal WHERE event = 'ConsignmentNotification'"
        ),
        DEPOSITS as i64,
        "one notification record per deposit"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mails = k.smtp.messages().unwrap();
    let mut ids: Vec<String> = mails.iter().map(|m| m.message_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), DEPOSITS, "one message per deposit");
    for r in &receipts {
        assert!(
            ids.iter()
                .any(|i| i.starts_with(&format!("<avis-{}@", r.deposit_id))),
            "{}",
            r.deposit_id
        );
    }
    assert!(
        mails.len() <= DEPOSITS + 8,
        "{} mails: more than the dead instance had in flight",
        mails.len()
    );

    // One unbroken chain.
    let out = cli(&["verify-journal", "--config", k.configs[0].to_str().unwrap()]);
    assert!(out.contains("journal intact"), "{out}");
}
