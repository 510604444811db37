//! Crash safety with the real binary: `sceau-vault serve` killed with SIGKILL in the middle of
//! an upload and restarted shows no partial deposit, and the retry succeeds. Also drives the
//! operator commands (init, recipients import, consent add/list, verify-journal).
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sceau_testsupport::pki::{Identity, IssueRequest, KeySpec, Profile, TestCa};

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
    let mut cmd = Command::new(BIN);
    if let Some(spec) = crash {
        cmd.env(sceau_vault::api::deposit::CRASH_POINT_ENV, spec);
    }
    let mut child = cmd
        .args(["serve", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    (child, addr)
}

fn client(data: &Path, id: &Identity) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    for der in
        sceau_vault::keys::load_cert_ders(&data.join(sceau_vault::keys::files::CA_CERT)).unwrap()
    {
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

fn identity(ca: &TestCa, profile: Profile) -> Identity {
    ca.issue(&IssueRequest {
        given_name: Some("Jeanne".into()),
        surname: Some("DUPONT".into()),
        title: Some("Commissaire de justice".into()),
        organization: Some("Etude 9991".into()),
        ..IssueRequest::new("Jeanne DUPONT", KeySpec::EcP256, profile)
    })
    .unwrap()
}

fn package(sign: &Identity) -> (Vec<u8>, String) {
    package_ref(sign, "CRASH")
}

/// A one-act package with reference `reference` (the act itself is the same whatever the
/// reference: two packages share their act's blob).
fn package_ref(sign: &Identity, reference: &str) -> (Vec<u8>, String) {
    use p256::pkcs8::DecodePrivateKey;
    use std::io::Write;
    let pdf = sceau_pdfa::convert_native(&sceau_testsupport::corpus::simple_pdf("Acte", &["Acte"]))
        .unwrap();
    // Large enough to be cut in the middle: pad with a stored dummy entry.
    let key = p256::ecdsa::SigningKey::from_pkcs8_der(&sign.key_pkcs8_der).unwrap();
    let cert = sign.certificate().unwrap();
    let sig = sceau_cades::sign_detached::<_, p256::ecdsa::DerSignature>(
        &key,
        &sceau_cades::SignOptions {
            content: &pdf,
            signer_cert: &cert,
            chain: &[],
            digest: sceau_cades::DigestAlgorithm::Sha256,
            signing_time: chrono::Utc::now(),
        },
    )
    .unwrap();
    let manifest = serde_json::json!({
        "reference": reference, "recipient_id": "siret-73282932000074", "nature": "SAISIE_ATTRIBUTION",
        // The real clock may say Sunday or night: a judge's permission keeps the test timeless.
        "judge_permission": "Ordonnance 26/001", "source": "edi",
        "documents": [{"file": "9991_CRASH_20260303_100000.pdf", "signature": "9991_CRASH_20260303_100000.pdf.p7s"}],
        "data_message": "message_acte.xml"
    });
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("manifest.json", o).unwrap();
    zip.write_all(manifest.to_string().as_bytes()).unwrap();
    zip.start_file("9991_CRASH_20260303_100000.pdf", o).unwrap();
    zip.write_all(&pdf).unwrap();
    zip.start_file("9991_CRASH_20260303_100000.pdf.p7s", o)
        .unwrap();
    zip.write_all(&sig).unwrap();
    zip.start_file("message_acte.xml", o).unwrap();
    zip.write_all(
        act_message(
            "SAISIE_ATTRIBUTION",
            reference,
            &[("9991_CRASH_20260303_100000.pdf", &pdf)],
        )
        .as_bytes(),
    )
    .unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    (bytes, sha)
}

/// A genuine act data message (sceau-core) describing `acts` (name, PDF bytes).
fn act_message(nature: &str, reference: &str, acts: &[(&str, &[u8])]) -> String {
    use sceau_core::attestation::{ActDataMessage, DocumentDigest, NatureRef, Office, Party};
    ActDataMessage {
        office: Office {
            number: "9991".into(),
            name: "Etude 9991".into(),
        },
        requerant: Party {
            name: "SA CREANCIER".into(),
            ids: vec![],
        },
        recipient: Party {
            name: "BANQUE TEST".into(),
            ids: vec![],
        },
        nature: NatureRef {
            code: nature.into(),
            label_fr: nature.into(),
        },
        reference: reference.into(),
        act_date: chrono::Utc::now().date_naive(),
        prepared_at: chrono::Utc::now(),
        documents: acts
            .iter()
            .map(|(n, pdf)| DocumentDigest {
                name: (*n).into(),
                size: pdf.len() as u64,
                sha256: <sha2::Sha256 as sha2::Digest>::digest(pdf).into(),
            })
            .collect(),
        judge_permission: None,
    }
    .to_xml()
}

async fn bind(c: &reqwest::Client, base: &str) {
    let s: sceau_proto::Session = c
        .get(format!("{base}/v1/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = c
        .post(format!("{base}/v1/session/bind"))
        .json(&sceau_proto::BindRequest {
            confirm_fingerprint_sha256: s.certificate.fingerprint_sha256,
            office_number: "9991".into(),
            office_name: "Etude 9991".into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn total(c: &reqwest::Client, base: &str) -> u64 {
    let p: sceau_proto::SearchPage = c
        .get(format!("{base}/v1/services"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    p.total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_upload_then_retry() {
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
        "--given-on",
        "2020-01-01",
    ]);
    let listed = cli(&["consent", "--config", config.to_str().unwrap(), "list"]);
    assert!(listed.contains("SAISIE_ATTRIBUTION"));

    let auth = identity(&ca, Profile::Authentication);
    let sign = identity(&ca, Profile::Signature);
    let pkg = package(&sign);
    let (mut child, addr) = serve(&config);
    let base = format!("https://{addr}");
    let c = client(&data, &auth);
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
        let c = client(&data, &auth);
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
    let c = client(&data, &auth);
    assert_eq!(total(&c, &base).await, 0, "no partial deposit visible");
    assert_eq!(
        std::fs::read_dir(&uploads).unwrap().count(),
        0,
        "spool cleaned"
    );
    let r = c
        .put(format!("{base}/v1/deposits/crash-key-0001"))
        .header(sceau_proto::CONTENT_SHA256_HEADER, &pkg.1)
        .body(pkg.0.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(total(&c, &base).await, 1);
    // The notifier records that this recipient cannot be told (neither e-mail nor mobile):
    // wait for that line through the event feed before stopping the server.
    let feed: sceau_proto::FeedPage = c
        .get(format!("{base}/v1/events?after=4&wait=30"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(feed.events[0].event, "ConsignmentNotificationFailure");
    child.kill().unwrap();
    child.wait().unwrap();
    let out = cli(&["verify-journal", "--config", config.to_str().unwrap()]);
    // Four lines for the deposit, and the notifier's final failure: this recipient has neither
    // e-mail nor mobile.
    assert!(out.contains("journal intact : 5 entrée(s)"), "{out}");
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
    let csv = dir.path().join("r.csv");
    std::fs::write(&csv, "kind,name,siret\nbank,BANQUE TEST,73282932000074\n").unwrap();
    let cfg = config.to_str().unwrap();
    cli(&[
        "recipients",
        "--config",
        cfg,
        "import",
        csv.to_str().unwrap(),
    ]);
    cli(&[
        "consent",
        "--config",
        cfg,
        "add",
        "--recipient",
        "siret-73282932000074",
        "--nature",
        "SAISIE_ATTRIBUTION",
        "--given-on",
        "2020-01-01",
    ]);
    let auth = identity(&ca, Profile::Authentication);
    let sign = identity(&ca, Profile::Signature);

    // A committed deposit: its act and archive are referenced.
    let kept = package_ref(&sign, "KEEP");
    let (mut child, addr) = serve(&config);
    let base = format!("https://{addr}");
    let c = client(&data, &auth);
    bind(&c, &base).await;
    let r = c
        .put(format!("{base}/v1/deposits/gc-key-0001"))
        .header(sceau_proto::CONTENT_SHA256_HEADER, &kept.1)
        .body(kept.0.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    child.kill().unwrap();
    child.wait().unwrap();
    let before = referenced(&data);
    assert_eq!(before.len(), 2, "one act, one archive");

    // Another deposit of the same act (another reference, so another archive) stops right
    // after writing its blobs, before its commit; the server is then killed.
    let flag = dir.path().join("reached");
    let (mut child, addr) = serve_env(&config, Some(&format!("blobs-written:{}", flag.display())));
    let base = format!("https://{addr}");
    let crashed = package_ref(&sign, "LOST");
    let upload = {
        let c = client(&data, &auth);
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
    let c = client(&data, &auth);
    let r = c
        .put(format!("{base}/v1/deposits/gc-key-0002"))
        .header(sceau_proto::CONTENT_SHA256_HEADER, &crashed.1)
        .body(crashed.0.clone())
        .send()
        .await
        .unwrap();
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
