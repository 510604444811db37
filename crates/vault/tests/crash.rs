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
    let mut child = Command::new(BIN)
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
        "reference": "CRASH", "recipient_id": "siret-73282932000074", "nature": "SAISIE_ATTRIBUTION",
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
        format!(
            "<message_acte xmlns=\"{}\"/>",
            sceau_core::attestation::ACT_MESSAGE_NS
        )
        .as_bytes(),
    )
    .unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    (bytes, sha)
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
