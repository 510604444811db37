//! Crash safety with the real binary: `sceau-vault serve` killed with SIGKILL in the middle of
//! an upload and restarted shows no partial deposit, and the retry succeeds. Also drives the
//! operator commands (init, recipients import, consent add/list, verify-journal).
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;
use std::process::{Child, Command};

use sceau_testsupport::deposit;
use sceau_testsupport::pki::{Identity, KeySpec, Profile, TestCa};
use sceau_testsupport::postgres::PgServer;
use sceau_testsupport::s3::MotoServer;

mod common;
use common::{get_json, mtls_client, person, put_package_at, serve_binary, try_bind};

const BIN: &str = env!("CARGO_BIN_EXE_sceau-vault");

fn cli(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn serve(config: &Path) -> (Child, String) {
    serve_env(config, None)
}

/// Starts the server, with the crash-point variable set when `crash` is given.
fn serve_env(config: &Path, crash: Option<&str>) -> (Child, String) {
    match crash {
        Some(spec) => serve_binary(config, &[(sceau_vault::acceptance::CRASH_POINT_ENV, spec)]),
        None => serve_binary(config, &[]),
    }
}

fn identity(ca: &TestCa, profile: Profile) -> Identity {
    person(ca, "Jeanne DUPONT", "Etude 9991", profile)
}

fn package(sign: &Identity) -> (Vec<u8>, String) {
    package_ref(sign, "CRASH")
}

/// A one-act package with reference `reference` (the act itself is the same whatever the
/// reference: two packages share their act's blob).
fn package_ref(signer: &Identity, reference: &str) -> (Vec<u8>, String) {
    // Converted once: sceau-pdfa stamps the current second into the PDF/A's metadata, so two
    // conversions a second apart would make two different acts.
    static ACT: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let pdf = ACT.get_or_init(|| {
        let [l1, l2] = sceau_testsupport::corpus::CONSENT_LINES;
        sceau_pdfa::convert_native(&sceau_testsupport::corpus::simple_pdf(
            "Acte",
            &["Acte", l1, l2],
        ))
        .unwrap()
    });
    let sig = common::sign(signer, pdf);
    let name = "9991_CRASH_20260303_100000.pdf";
    // The real clock may say Sunday or night: a judge's permission keeps the test timeless.
    let manifest = deposit::manifest(
        reference,
        "siret-73282932000074",
        "SAISIE_ATTRIBUTION",
        Some("Ordonnance 26/001"),
        sceau_proto::Source::Edi,
        &[name],
    );
    let message = deposit::act_message(&deposit::ActMessage {
        nature: "SAISIE_ATTRIBUTION",
        reference,
        judge_permission: None,
        at: chrono::Utc::now(),
        documents: &[(name, pdf)],
    });
    deposit::package_zip(&manifest, &[(name, pdf, &sig)], &message, &[]).unwrap()
}

async fn bind(c: &reqwest::Client, base: &str) {
    let r = try_bind(c, base, "9991", "Etude 9991").await;
    assert_eq!(r.status(), 200);
}

async fn total(c: &reqwest::Client, base: &str) -> u64 {
    let p: sceau_proto::SearchPage = get_json(c, format!("{base}/v1/services")).await;
    p.total
}

/// A vault made by the operator commands: `init` (trusting a fresh test CA), `recipients
/// import` of one bank, `consent add` for SAISIE_ATTRIBUTION.
struct Installed {
    dir: tempfile::TempDir,
    ca: TestCa,
    data: std::path::PathBuf,
    config: std::path::PathBuf,
    /// PostgreSQL and S3 (moto) when the vault runs on them.
    scaled: Option<(PgServer, MotoServer)>,
}

fn installed() -> Installed {
    installed_on(false)
}

/// [`installed`], on PostgreSQL + S3 (moto) when `scaled`.
fn installed_on(scaled: bool) -> Installed {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("AC", KeySpec::EcP256).unwrap();
    let (ca_pem, _) = ca.identity.write_pem(dir.path(), "client-ca").unwrap();
    let data = dir.path().join("data");
    let config = cli(&[
        "init",
        data.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--client-ca",
        ca_pem.to_str().unwrap(),
    ]);
    let config = std::path::PathBuf::from(config.trim());
    let scaled = scaled.then(|| {
        let pg = PgServer::start().unwrap();
        let moto = MotoServer::start().unwrap();
        moto.create_bucket("vault").unwrap();
        let mut cfg = sceau_vault::config::Config::load(&config).unwrap();
        cfg.metadata = sceau_vault::config::MetadataConfig::Postgres {
            url: pg.create_database("vault").unwrap(),
        };
        cfg.blobs = sceau_vault::config::BlobConfig::S3(sceau_vault::store::blobs::S3Config {
            endpoint: moto.endpoint(),
            bucket: "vault".into(),
            region: "us-east-1".into(),
            access_key_id: "test".into(),
            secret_access_key: "test".into(),
        });
        cfg.save(&config).unwrap();
        (pg, moto)
    });
    let csv = dir.path().join("r.csv");
    std::fs::write(&csv, "kind,name,siret\nbank,BANQUE TEST,73282932000074\n").unwrap();
    cli(&[
        "recipients",
        "--config",
        config.to_str().unwrap(),
        "import",
        csv.to_str().unwrap(),
    ]);
    cli(&[
        "consent",
        "--config",
        config.to_str().unwrap(),
        "add",
        "--recipient",
        "siret-73282932000074",
        "--nature",
        "SAISIE_ATTRIBUTION",
        "--given-at",
        "2020-01-01",
    ]);
    // The operator declares the office (by its holder's common name, under the test CA).
    let out = cli(&[
        "office",
        "--config",
        config.to_str().unwrap(),
        "add",
        "--number",
        "9991",
        "--holder",
        "Jeanne DUPONT",
        "--ca",
        ca_pem.to_str().unwrap(),
    ]);
    assert!(out.contains("étude 9991 déclarée"), "{out}");
    Installed {
        dir,
        ca,
        data,
        config,
        scaled,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_upload_then_retry() {
    let Installed {
        dir: _dir,
        ca,
        data,
        config,
        ..
    } = installed();
    let listed = cli(&["consent", "--config", config.to_str().unwrap(), "list"]);
    assert!(listed.contains("SAISIE_ATTRIBUTION"));

    let auth = identity(&ca, Profile::Authentication);
    let sign = identity(&ca, Profile::Signature);
    let pkg = package(&sign);
    let (mut child, addr) = serve(&config);
    let base = format!("https://{addr}");
    let c = mtls_client(&data, Some(&auth));
    bind(&c, &base).await;

    // Send half the package, then hold the connection open while the server is killed.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let half = pkg.0[..pkg.0.len() / 2].to_vec();
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(half) }).chain(
        futures_util::stream::once(async move {
            let _ = rx.await;
            Err(std::io::Error::other("never"))
        }),
    );
    use futures_util::StreamExt;
    let upload = {
        let c = mtls_client(&data, Some(&auth));
        let url = format!("{base}/v1/deposits/crash-key-0001");
        let sha = pkg.1.clone();
        tokio::spawn(async move {
            c.put(url)
                .header(sceau_proto::CONTENT_SHA256_HEADER, sha)
                .body(reqwest::Body::wrap_stream(stream))
                .send()
                .await
        })
    };
    // Wait until the spool file holds the first half.
    let uploads = data.join("uploads");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let spooled: u64 = std::fs::read_dir(&uploads)
            .map(|d| {
                d.filter_map(|e| e.ok()?.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0);
        if spooled > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "upload never reached the server"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    drop(tx);
    // The client sees the connection reset (or, at best, a server error): never a success.
    assert!(!matches!(upload.await.unwrap(), Ok(r) if r.status().is_success()));

    let (mut child, addr) = serve(&config);
    let base = format!("https://{addr}");
    let c = mtls_client(&data, Some(&auth));
    assert_eq!(total(&c, &base).await, 0, "no partial deposit visible");
    assert_eq!(
        std::fs::read_dir(&uploads).unwrap().count(),
        0,
        "spool cleaned"
    );
    let r = put_package_at(&c, &base, "crash-key-0001", &pkg).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(total(&c, &base).await, 1);
    // The notifier records that this recipient cannot be told (neither e-mail nor mobile):
    // wait for that line through the event feed before stopping the server (the journal
    // opens with the operator's consent, then the deposit's four lines).
    let feed: sceau_proto::FeedPage =
        get_json(&c, format!("{base}/v1/events?after=5&wait=30")).await;
    assert_eq!(feed.events[0].event, "ConsignmentNotificationFailure");
    child.kill().unwrap();
    child.wait().unwrap();
    let out = cli(&["verify-journal", "--config", config.to_str().unwrap()]);
    // The consent entered by the operator, four lines for the deposit, and the notifier's final
    // failure: this recipient has neither e-mail nor mobile.
    assert!(out.contains("journal intact : 6 entrée(s)"), "{out}");
    // One byte changed in the journal: verify-journal fails (exit status 1).
    let db = rusqlite::Connection::open(data.join("vault.db")).unwrap();
    db.execute("UPDATE journal SET hash = replace(hash, substr(hash, 10, 1), CASE substr(hash, 10, 1) WHEN 'a' THEN 'b' ELSE 'a' END) WHERE seq = 3", []).unwrap();
    drop(db);
    let out = Command::new(BIN)
        .args(["verify-journal", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ALTÉRÉ à l'entrée n° 3"));
}

/// Every blob file under `data/blobs` (not the temporary directory): name -> content hash.
fn blob_files(data: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for d in std::fs::read_dir(data.join("blobs")).unwrap() {
        let d = d.unwrap();
        if d.file_name() == "tmp" {
            continue;
        }
        for f in std::fs::read_dir(d.path()).unwrap() {
            let f = f.unwrap();
            let bytes = std::fs::read(f.path()).unwrap();
            out.insert(
                f.file_name().to_string_lossy().into_owned(),
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
            );
        }
    }
    out
}

/// Notes of uploads in progress or interrupted (idle notes of the pool are empty).
fn notes(data: &Path) -> usize {
    std::fs::read_dir(data.join("pending"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().metadata().unwrap().len() > 0)
        .count()
}

/// Blob names referenced by committed rows.
fn referenced(data: &Path) -> std::collections::BTreeSet<String> {
    let db = rusqlite::Connection::open(data.join("vault.db")).unwrap();
    let mut stmt = db
        .prepare(
            "SELECT sha256 FROM recipient_files UNION \
             SELECT sha256 FROM vault_entries WHERE sha256 IS NOT NULL",
        )
        .unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_after_blobs_then_gc_removes_only_orphans() {
    let Installed {
        dir,
        ca,
        data,
        config,
        ..
    } = installed();
    let cfg = config.to_str().unwrap();
    let auth = identity(&ca, Profile::Authentication);
    let sign = identity(&ca, Profile::Signature);

    // A committed deposit: its act and archive are referenced.
    let kept = package_ref(&sign, "KEEP");
    let (mut child, addr) = serve(&config);
    let base = format!("https://{addr}");
    let c = mtls_client(&data, Some(&auth));
    bind(&c, &base).await;
    let r = put_package_at(&c, &base, "gc-key-0001", &kept).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    child.kill().unwrap();
    child.wait().unwrap();
    let before = referenced(&data);
    assert_eq!(
        before.len(),
        2,
        "one act, one archive (which holds the single XML flow)"
    );

    // Another deposit of the same act (another reference, so another archive) stops right
    // after writing its blobs, before its commit; the server is then killed.
    let flag = dir.path().join("reached");
    let (mut child, addr) = serve_env(&config, Some(&format!("blobs-written:{}", flag.display())));
    let base = format!("https://{addr}");
    let crashed = package_ref(&sign, "LOST");
    let upload = {
        let c = mtls_client(&data, Some(&auth));
        let url = format!("{base}/v1/deposits/gc-key-0002");
        let (body, sha) = crashed.clone();
        tokio::spawn(async move {
            c.put(url)
                .header(sceau_proto::CONTENT_SHA256_HEADER, sha)
                .body(body)
                .send()
                .await
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !flag.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "crash point never reached"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(!matches!(upload.await.unwrap(), Ok(r) if r.status().is_success()));
    let on_disk = blob_files(&data);
    let orphans: Vec<&String> = on_disk.keys().filter(|k| !before.contains(*k)).collect();
    assert_eq!(orphans.len(), 1, "the lost deposit's archive: {on_disk:?}");
    assert_eq!(notes(&data), 1, "the interrupted upload's note");

    // gc: the orphan goes, the shared act (named by the note too) and the archive stay.
    let out = cli(&["gc", "--config", cfg]);
    assert!(
        out.contains(
            "1 envoi(s) interrompu(s), 1 fichier(s) orphelin(s) supprimé(s), 1 conservé(s)"
        ),
        "{out}"
    );
    let after = blob_files(&data);
    assert_eq!(
        after
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        referenced(&data),
        "exactly the referenced blobs remain"
    );
    for (name, content_hash) in &after {
        assert_eq!(name, content_hash, "blob {name} intact");
    }
    assert_eq!(notes(&data), 0);

    // The retry after the crash succeeds and its blobs are referenced.
    let (mut child, addr) = serve(&config);
    let base = format!("https://{addr}");
    let c = mtls_client(&data, Some(&auth));
    let r = put_package_at(&c, &base, "gc-key-0002", &crashed).await;
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    // The archive's proof checks offline with `sceau-vault verify-proof` (the same code as
    // `sceau verify-proof`), and fails once the archive is changed.
    let receipt: sceau_proto::DepositReceipt = serde_json::from_str(&body).unwrap();
    let fetch = |url: String| {
        let c = c.clone();
        async move { c.get(url).send().await.unwrap().bytes().await.unwrap() }
    };
    let bundle = fetch(format!(
        "{base}/v1/vault/proof?path={}",
        receipt.archive_path
    ))
    .await;
    let archive = fetch(format!(
        "{base}/v1/vault/file?path={}",
        receipt.archive_path
    ))
    .await;
    let (bundle_path, archive_path) = (dir.path().join("preuve.json"), dir.path().join("a.zip"));
    std::fs::write(&bundle_path, &bundle).unwrap();
    std::fs::write(&archive_path, &archive).unwrap();
    let out = cli(&[
        "verify-proof",
        bundle_path.to_str().unwrap(),
        "--file",
        archive_path.to_str().unwrap(),
    ]);
    assert!(out.contains("preuve valide"), "{out}");
    let mut changed = archive.to_vec();
    let mid = changed.len() / 2;
    changed[mid] ^= 1;
    std::fs::write(&archive_path, &changed).unwrap();
    let out = Command::new(BIN)
        .args(["verify-proof", bundle_path.to_str().unwrap(), "--file"])
        .arg(&archive_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(file_mismatch)"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        blob_files(&data)
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        referenced(&data)
    );
    assert_eq!(notes(&data), 0);
}

/// Runs the binary with `args`; its output when it fails.
fn cli_fails(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(!out.status.success(), "{args:?} should fail");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Waits until `flag` exists (a deposit reached its hold).
async fn wait_for(flag: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !flag.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "hold {} never reached",
            flag.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The critical finding of the security review: operator commands run beside a live server
/// used to empty its spool and collect the blobs of deposits in flight, so that deposits were
/// acknowledged whose archive no longer existed. Here every operator subcommand runs (as the
/// real binary) while one deposit is held before its blobs, one after them, one upload is half
/// spooled and others are acknowledged; a second `serve` and a `gc` are refused; then the held
/// deposits go on, and every acknowledged deposit's archive downloads intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_beside_a_live_server_lose_no_acknowledged_deposit() {
    operator_commands_beside_a_live_server(false).await;
}

/// The same on PostgreSQL + S3: the operator commands' transactions beside the server's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_beside_a_live_server_on_postgres_and_s3() {
    operator_commands_beside_a_live_server(true).await;
}

async fn operator_commands_beside_a_live_server(scaled: bool) {
    let Installed {
        dir,
        ca,
        data,
        config,
        scaled: servers,
    } = installed_on(scaled);
    let cfg = config.to_str().unwrap();
    let auth = identity(&ca, Profile::Authentication);
    let sign = identity(&ca, Profile::Signature);
    let (before, written) = (dir.path().join("before"), dir.path().join("written"));
    let holds = format!(
        "blobs-before@hold-before:{}|blobs-written@hold-written:{}",
        before.display(),
        written.display()
    );
    let (mut child, addr) = serve_env(&config, Some(&holds));
    let base = format!("https://{addr}");
    let c = mtls_client(&data, Some(&auth));
    bind(&c, &base).await;

    // Two deposits held at the two crash points.
    let held: Vec<_> = [("hold-before", "HB"), ("hold-written", "HW")]
        .into_iter()
        .map(|(key, reference)| {
            let pkg = package_ref(&sign, reference);
            let (c, base) = (c.clone(), base.clone());
            tokio::spawn(async move { put_package_at(&c, &base, key, &pkg).await })
        })
        .collect();
    wait_for(&before).await;
    wait_for(&written).await;
    // (Pending notes are files of the data directory on both backends.)
    assert!(notes(&data) >= 2, "the held deposits' pending notes");

    // An upload half spooled, finished later.
    let pkg = package_ref(&sign, "SPOOL");
    let (first, second) = pkg.0.split_at(pkg.0.len() / 2);
    let (first, second) = (first.to_vec(), second.to_vec());
    let (go, wait) = tokio::sync::oneshot::channel::<()>();
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(
        futures_util::stream::once(async move {
            wait.await.unwrap();
            Ok(second)
        }),
    );
    use futures_util::StreamExt;
    let spooled = {
        let c = c.clone();
        let url = format!("{base}/v1/deposits/spool-key-0001");
        let sha = pkg.1.clone();
        tokio::spawn(async move {
            c.put(url)
                .header(sceau_proto::CONTENT_SHA256_HEADER, sha)
                .body(reqwest::Body::wrap_stream(stream))
                .send()
                .await
                .unwrap()
        })
    };
    let uploads = data.join("uploads");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::read_dir(&uploads)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum::<u64>()
        })
        .unwrap_or(0)
        == 0
    {
        assert!(std::time::Instant::now() < deadline, "upload never spooled");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // Deposits acknowledged one after the other while the operator works.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let live = {
        let (c, base, stop) = (c.clone(), base.clone(), stop.clone());
        let sign = identity(&ca, Profile::Signature);
        tokio::spawn(async move {
            let mut receipts = Vec::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) || n < 3 {
                n += 1;
                let pkg = package_ref(&sign, &format!("LIVE{n}"));
                let r = put_package_at(&c, &base, &format!("live-key-{n:04}"), &pkg).await;
                assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
                receipts.push(r.json::<sceau_proto::DepositReceipt>().await.unwrap());
            }
            receipts
        })
    };

    // Every operator subcommand, as the real binary.
    let csv = dir.path().join("more.csv");
    std::fs::write(&csv, "kind,name\ncompany,SOCIETE AUTRE\n").unwrap();
    let out = cli(&[
        "recipients",
        "--config",
        cfg,
        "import",
        csv.to_str().unwrap(),
    ]);
    assert!(out.contains("1 destinataire(s) importé(s)"), "{out}");
    let id = cli(&[
        "consent",
        "--config",
        cfg,
        "add",
        "--recipient",
        "siret-73282932000074",
        "--nature",
        "SAISIE_VENTE",
        "--given-at",
        "2021-01-01",
    ]);
    let out = cli(&["consent", "--config", cfg, "list"]);
    assert!(out.contains("SAISIE_VENTE"), "{out}");
    cli(&["consent", "--config", cfg, "revoke", id.trim()]);
    cli(&[
        "rules",
        "--config",
        cfg,
        "--recipient",
        "siret-73282932000074",
        "--nature",
        "SAISIE_VENTE",
        "--window",
        "mon,tue 08:00-12:00",
    ]);
    let bank = ca
        .issue(&sceau_testsupport::pki::IssueRequest::new(
            "BANQUE TEST API",
            KeySpec::EcP256,
            Profile::Authentication,
        ))
        .unwrap();
    let (bank_pem, _) = bank.write_pem(dir.path(), "bank").unwrap();
    let out = cli(&[
        "bank",
        "--config",
        cfg,
        "--recipient",
        "siret-73282932000074",
        "--cert",
        bank_pem.to_str().unwrap(),
    ]);
    assert!(out.contains("rattaché à la banque"), "{out}");
    // The office's own certificate cannot become a bank's.
    let (auth_pem, _) = auth.write_pem(dir.path(), "office-auth").unwrap();
    let (status, err) = cli_fails(&[
        "bank",
        "--config",
        cfg,
        "--recipient",
        "siret-73282932000074",
        "--cert",
        auth_pem.to_str().unwrap(),
    ]);
    assert_eq!(status, Some(2));
    assert!(err.contains("celui de l'étude 9991"), "{err}");
    let ca_pem = dir.path().join("client-ca.crt.pem");
    let out = cli(&[
        "office",
        "--config",
        cfg,
        "add",
        "--number",
        "1234",
        "--holder",
        "Paul MARTIN",
        "--ca",
        ca_pem.to_str().unwrap(),
    ]);
    assert!(out.contains("étude 1234 déclarée"), "{out}");
    let out = cli(&["office", "--config", cfg, "list"]);
    assert!(
        out.contains("\"1234\"") && out.contains("\"9991\""),
        "{out}"
    );
    // The office's place and contact, declared again, are listed with it.
    let out = cli(&[
        "office",
        "--config",
        cfg,
        "add",
        "--number",
        "1234",
        "--holder",
        "Paul MARTIN",
        "--ca",
        ca_pem.to_str().unwrap(),
        "--region",
        "972",
        "--phone",
        "0596 00 00 00",
    ]);
    assert!(out.contains("lieu 972 (Martinique)"), "{out}");
    let out = cli(&["office", "--config", cfg, "list"]);
    let line = out.lines().find(|l| l.contains("\"1234\"")).unwrap();
    assert!(
        line.contains("\"region\":\"972\"")
            && line.contains("\"phone\":\"0596 00 00 00\"")
            && line.contains("\"address\":null"),
        "{line}"
    );
    // A recipient's place set by the operator (a company's registered office), then refused
    // for an unknown code or recipient.
    let out = cli(&[
        "recipients",
        "--config",
        cfg,
        "place",
        "siret-73282932000074",
        "974",
    ]);
    assert_eq!(
        out.trim(),
        "destinataire siret-73282932000074 : lieu 974 (La Réunion), fuseau Indian/Reunion, pour \
         les dépôts à venir"
    );
    let (status, err) = cli_fails(&[
        "recipients",
        "--config",
        cfg,
        "place",
        "siret-73282932000074",
        "999",
    ]);
    assert_eq!(status, Some(2));
    assert!(err.contains("999") && err.contains("« aucun »"), "{err}");
    let (status, err) = cli_fails(&["recipients", "--config", cfg, "place", "inconnu", "75"]);
    assert_eq!(status, Some(2));
    assert!(err.contains("Destinataire inconnu"), "{err}");
    let out = cli(&["verify-journal", "--config", cfg]);
    assert!(out.contains("journal intact"), "{out}");
    // gc and a second server are refused, naming the cause and the fix.
    for args in [["gc", "--config", cfg], ["serve", "--config", cfg]] {
        let (status, err) = cli_fails(&args);
        assert_eq!(status, Some(2), "{args:?}");
        assert!(err.contains("(data_dir_busy)"), "{args:?}: {err}");
        assert!(err.contains("Arrêtez ce serveur"), "{args:?}: {err}");
    }
    // The operator commands left the server's state alone.
    assert!(before.exists() && written.exists(), "still held");
    assert!(
        notes(&data) >= 2,
        "the held deposits' notes are still there"
    );

    // The held deposits and the spooled upload go on.
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    std::fs::remove_file(&before).unwrap();
    std::fs::remove_file(&written).unwrap();
    go.send(()).unwrap();
    let mut receipts = live.await.unwrap();
    for h in held {
        let r = h.await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        receipts.push(r.json().await.unwrap());
    }
    let r = spooled.await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    receipts.push(r.json().await.unwrap());
    assert!(receipts.len() >= 6);

    // Every acknowledged deposit's archive downloads, intact; every referenced blob exists.
    for receipt in &receipts {
        let r = c
            .get(format!(
                "{base}/v1/vault/file?path={}",
                receipt.archive_path
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "archive of {}", receipt.deposit_id);
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(b"PK"), "a ZIP");
    }
    assert_eq!(total(&c, &base).await, receipts.len() as u64);
    child.kill().unwrap();
    child.wait().unwrap();
    // On files, every referenced blob is there, intact (on S3 the downloads above read them).
    if servers.is_none() {
        let on_disk = blob_files(&data);
        for sha in referenced(&data) {
            assert_eq!(
                on_disk.get(&sha),
                Some(&sha),
                "blob {sha} present and intact"
            );
        }
    }
    drop(servers);
}
