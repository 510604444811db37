//! "Transférer": `PUT /v1/vault/file?path=` puts a file of the workstation into the office's
//! vault. Same bytes back, space used, journal line and proof; too large, bad names, existing
//! names and interrupted bodies refused with nothing left behind; only the owning office may
//! upload (not another office, a bank's certificate, an unbound one, nor the portal).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use sceau_proto::{FeedPage, ProofBundle, VaultEntry, VaultListing, CONTENT_SHA256_HEADER};
use sceau_testsupport::pki::{IssueRequest, KeySpec, Profile};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

fn sha_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Bytes that are not all alike (a wrong offset would show).
fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed)
        .collect()
}

fn url_path(p: &str) -> String {
    let mut out = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn put(c: &reqwest::Client, h: &Harness, path: &str, bytes: Vec<u8>) -> reqwest::Response {
    c.put(h.url(&format!("/v1/vault/file?path={}", url_path(path))))
        .header(CONTENT_SHA256_HEADER, sha_hex(&bytes))
        .body(bytes)
        .send()
        .await
        .unwrap()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// What an interrupted upload could have left: spool files and blobs.
fn leftovers(h: &Harness) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let data = &h.config.data_dir;
    (
        files_under(&data.join("uploads")),
        files_under(&data.join("blobs"))
            .into_iter()
            .filter(|p| !p.starts_with(data.join("blobs/tmp")))
            .collect(),
    )
}

async fn listing(c: &reqwest::Client, h: &Harness, folder: &str) -> VaultListing {
    get_json(c, h.url(&format!("/v1/vault?path={}", url_path(folder)))).await
}

async fn transfer_round_trip(backend: Backend, len: usize) {
    let h = Harness::start(backend, Arc::new(sceau_vault::SceauPdfa)).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let r = c
        .post(h.url("/v1/vault/folders"))
        .json(&sceau_proto::MkdirRequest {
            path: "Courriers".into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let before = listing(&c, &h, "").await.space_used;
    let bytes = content(len, 7);
    let r = put(&c, &h, "Courriers/Releve de compte.pdf", bytes.clone()).await;
    assert_eq!(r.status(), 200);
    let e: VaultEntry = r.json().await.unwrap();
    assert_eq!(e.path, "Courriers/Releve de compte.pdf");
    assert_eq!(e.size, len as u64);
    assert_eq!(e.sha256.as_deref(), Some(sha_hex(&bytes).as_str()));
    assert!(!e.is_folder && e.deposit_id.is_none() && e.retained_until.is_none());
    // Listed, counted, and downloaded identical.
    let l = listing(&c, &h, "Courriers").await;
    assert_eq!(l.entries.len(), 1);
    assert_eq!(l.entries[0].path, e.path);
    assert_eq!(l.space_used, before + len as u64);
    let back = c
        .get(h.url("/v1/vault/file?path=Courriers/Releve%20de%20compte.pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 200);
    let back = back.bytes().await.unwrap();
    assert_eq!(back.len(), len);
    assert_eq!(sha_hex(&back), sha_hex(&bytes));
    // The journal has its line (in the office's feed, outside any service) and still chains.
    let feed: FeedPage = get_json(&c, h.url("/v1/events")).await;
    let line = feed
        .events
        .iter()
        .find(|e| e.event == "sceau:OfficeFileStored")
        .expect("journal line of the transfer");
    assert!(line.deposit_id.is_none());
    assert!(line.message.contains("Releve de compte.pdf"));
    let vault = h.vault.clone();
    let check = tokio::task::spawn_blocking(move || {
        sceau_vault::journal::verify(vault.meta.as_ref()).unwrap()
    })
    .await
    .unwrap();
    assert!(matches!(
        check,
        sceau_vault::journal::Verification::Intact { .. }
    ));
    // The proof of integrity of the transferred file verifies offline against its bytes.
    let proof: ProofBundle = get_json(
        &c,
        h.url("/v1/vault/proof?path=Courriers/Releve%20de%20compte.pdf"),
    )
    .await;
    sceau_cades::proof::verify_bundle(&proof, Some(&back)).unwrap();
    assert!(sceau_cades::proof::verify_bundle(&proof, Some(b"autre chose")).is_err());
    // Nothing left in the spool directory.
    assert!(leftovers(&h).0.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_transfer_round_trip() {
    transfer_round_trip(Backend::Embedded, 3 * 1024 * 1024 + 17).await;
}

/// Above the S3 part size: a multipart upload to the bucket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaled_transfer_round_trip_multipart() {
    transfer_round_trip(Backend::Scaled, 9 * 1024 * 1024 + 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_leave_nothing() {
    let h = Harness::start_with(
        Backend::Embedded,
        Arc::new(sceau_vault::SceauPdfa),
        |c, _| {
            c.max_vault_file_bytes = 1024 * 1024;
        },
    )
    .await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let empty = leftovers(&h);

    // Too large, announced by Content-Length: 413 before the body is read.
    let r = put(&c, &h, "gros.bin", content(2 * 1024 * 1024, 1)).await;
    assert_eq!(r.status(), 413);
    let body: sceau_proto::ErrorBody = r.json().await.unwrap();
    assert_eq!(body.code, "too_large");
    assert!(body.message.contains("taille maximale"), "{}", body.message);
    // Too large without a length (chunked): refused while streaming.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..8).map(|i| Ok(content(256 * 1024, i))).collect();
    let r = c
        .put(h.url("/v1/vault/file?path=gros2.bin"))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(code(r).await, "too_large");
    // Exactly the limit is accepted.
    let r = put(&c, &h, "juste.bin", content(1024 * 1024, 2)).await;
    assert_eq!(r.status(), 200);
    let after_ok = leftovers(&h);
    assert_eq!(after_ok.1.len(), empty.1.len() + 1);

    // Names: no `..`, separators, control characters, reserved names, hidden names, or names
    // longer than sceau-core's limit; nothing outside the vault's own naming rule.
    let long = format!("{}.pdf", "a".repeat(100));
    for bad in [
        "..",
        "../evasion.pdf",
        "Courriers/../../x.pdf",
        "a\\b.pdf",
        "con.txt",
        "LPT1",
        ".cache",
        "bell\u{7}.pdf",
        "nul\u{0}.pdf",
        "deux points:.pdf",
        "point final.",
        long.as_str(),
        "",
        "/",
    ] {
        let r = put(&c, &h, bad, b"x".to_vec()).await;
        assert_eq!(r.status(), 422, "{bad:?}");
        assert_eq!(code(r).await, "bad_request", "{bad:?}");
    }
    // A missing folder.
    let r = put(&c, &h, "Absent/x.pdf", b"x".to_vec()).await;
    assert_eq!(code(r).await, "not_found");
    // An existing name (file or folder) is refused, the first file unchanged.
    let r = put(&c, &h, "juste.bin", content(10, 3)).await;
    assert_eq!(r.status(), 409);
    let body: sceau_proto::ErrorBody = r.json().await.unwrap();
    assert_eq!(body.code, "path_exists");
    assert!(body.message.contains("existe déjà"), "{}", body.message);
    c.post(h.url("/v1/vault/folders"))
        .json(&sceau_proto::MkdirRequest {
            path: "Dossier".into(),
        })
        .send()
        .await
        .unwrap();
    let r = put(&c, &h, "Dossier", content(10, 3)).await;
    assert_eq!(r.status(), 409);
    let e: VaultEntry = get_json(&c, h.url("/v1/vault/properties?path=juste.bin")).await;
    assert_eq!(e.size, 1024 * 1024);
    // A digest that does not match the body.
    let r = c
        .put(h.url("/v1/vault/file?path=faux.bin"))
        .header(CONTENT_SHA256_HEADER, sha_hex(b"autre"))
        .body(b"contenu".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "digest_mismatch");

    // None of the refusals left a spool file, a blob or an entry.
    assert_eq!(leftovers(&h), after_ok);
    let l = listing(&c, &h, "").await;
    let names: Vec<&str> = l.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(names, ["Dossier", "juste.bin"]);
    assert_eq!(l.space_used, 1024 * 1024);
}

/// A request for the router as the TLS loop makes it: the client certificate of `id` attached.
fn routed_put(id: &sceau_testsupport::pki::Identity, path: &str, body: Body) -> Request<Body> {
    let mut req = Request::put(format!("/v1/vault/file?path={path}"))
        .body(body)
        .unwrap();
    req.extensions_mut()
        .insert(sceau_vault::peer::PeerCerts(Arc::new(vec![
            rustls::pki_types::CertificateDer::from(id.cert_der.clone()),
        ])));
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_uploads_leave_nothing() {
    let h = Harness::start(Backend::Embedded, Arc::new(sceau_vault::SceauPdfa)).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let empty = leftovers(&h);
    let half = content(512 * 1024, 9);

    // The connection breaks after half the body: the body stream fails (what hyper gives a
    // handler when the client goes away mid-body).
    let broken = futures_util::stream::iter(vec![
        Ok::<_, std::io::Error>(half.clone()),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connexion coupée",
        )),
    ]);
    let resp = sceau_vault::app(h.vault.clone())
        .oneshot(routed_put(&a.auth, "coupe.bin", Body::from_stream(broken)))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(leftovers(&h), empty);

    // The request is abandoned while the body is half sent (the server drops the handler when
    // the connection closes): the spool file exists at that moment, then disappears.
    let (polled_tx, polled_rx) = tokio::sync::oneshot::channel::<()>();
    let mut polled_tx = Some(polled_tx);
    let mut sent = false;
    let first = half.clone();
    let stalled = futures_util::stream::poll_fn(move |_| {
        if !sent {
            sent = true;
            return std::task::Poll::Ready(Some(Ok::<_, std::io::Error>(first.clone())));
        }
        // The handler has written the first half and asks for more: never comes.
        if let Some(tx) = polled_tx.take() {
            let _ = tx.send(());
        }
        std::task::Poll::Pending
    });
    let app = sceau_vault::app(h.vault.clone());
    let req = routed_put(&a.auth, "abandon.bin", Body::from_stream(stalled));
    let task = tokio::spawn(async move { app.oneshot(req).await });
    polled_rx.await.unwrap();
    let mid = leftovers(&h);
    assert_eq!(mid.0.len(), 1, "a spool file while the body arrives");
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    assert_eq!(leftovers(&h), empty);

    // Neither is listed; the same name is then free for a complete transfer.
    let l = listing(&c, &h, "").await;
    assert!(l.entries.is_empty());
    assert_eq!(l.space_used, 0);
    let r = put(&c, &h, "coupe.bin", half.clone()).await;
    assert_eq!(r.status(), 200);
}

/// Authorisation matrix of the transfer: only the office that owns the vault.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owning_office_transfers() {
    let h = Harness::start(Backend::Embedded, Arc::new(sceau_vault::SceauPdfa)).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let b = office_ids(&h.ca, "Paul MARTIN", "Etude 1234");
    let ca = bound_client(&h, &a.auth, "9991").await;
    let cb = bound_client(&h, &b.auth, "1234").await;
    ca.post(h.url("/v1/vault/folders"))
        .json(&sceau_proto::MkdirRequest {
            path: "Courriers".into(),
        })
        .send()
        .await
        .unwrap();
    // Office B cannot reach A's folder; what B transfers lands in B's own vault.
    let r = put(&cb, &h, "Courriers/intrus.pdf", b"intrus".to_vec()).await;
    assert_eq!(r.status(), 404);
    assert_eq!(code(r).await, "not_found");
    let r = put(&cb, &h, "intrus.pdf", b"intrus".to_vec()).await;
    assert_eq!(r.status(), 200);
    assert!(listing(&ca, &h, "")
        .await
        .entries
        .iter()
        .all(|e| e.path != "intrus.pdf"));
    assert_eq!(listing(&ca, &h, "Courriers").await.entries.len(), 0);
    // A bank's certificate (bound to a recipient, not to an office).
    let bank_id =
        h.ca.issue(&IssueRequest::new(
            "Banque Test API",
            KeySpec::EcP256,
            Profile::Authentication,
        ))
        .unwrap();
    let fp = hex::encode(Sha256::digest(&bank_id.cert_der));
    let rid = bank_with_consent(&h).await;
    let vault = h.vault.clone();
    tokio::task::spawn_blocking(move || {
        sceau_vault::store::sql::tx(vault.meta.as_ref(), |sql| {
            sceau_vault::store::meta::bind_bank_cert(sql, &fp, &rid, tuesday_morning())
        })
        .unwrap()
    })
    .await
    .unwrap();
    let bank = h.client(Some(&bank_id));
    let r = put(&bank, &h, "Courriers/banque.pdf", b"banque".to_vec()).await;
    assert_eq!(code(r).await, "certificate_not_bound");
    let r = put(&bank, &h, "banque.pdf", b"banque".to_vec()).await;
    assert_eq!(code(r).await, "certificate_not_bound");
    // An unbound certificate, and no certificate at all.
    let stranger = person(&h.ca, "Luc DURAND", "Etude 5555", Profile::Authentication);
    let r = put(&h.client(Some(&stranger)), &h, "x.pdf", b"x".to_vec()).await;
    assert_eq!(code(r).await, "certificate_not_bound");
    let r = put(&h.client(None), &h, "x.pdf", b"x".to_vec()).await;
    assert_eq!(code(r).await, "certificate_missing");
    // The recipients' portal does not route the office API at all.
    let portal = sceau_vault::portal_app(h.vault.clone());
    let resp = portal
        .oneshot(routed_put(&a.auth, "portail.pdf", Body::from("x")))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // A's vault holds only the folder.
    let l = listing(&ca, &h, "").await;
    let names: Vec<&str> = l.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(names, ["Courriers"]);
    assert_eq!(l.space_used, 0);
}

/// A file the office deletes loses its bytes at the next collection, unless another entry
/// holds the same bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_files_leave_the_blob_store() {
    let h = Harness::start(Backend::Embedded, Arc::new(sceau_vault::SceauPdfa)).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let (shared, alone) = (content(4096, 1), content(4096, 2));
    for (name, bytes) in [
        ("a.pdf", shared.clone()),
        ("b.pdf", shared.clone()),
        ("c.pdf", alone.clone()),
    ] {
        assert_eq!(put(&c, &h, name, bytes).await.status(), 200);
    }
    for name in ["a.pdf", "c.pdf"] {
        let r = c
            .delete(h.url(&format!("/v1/vault/file?path={name}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    let (s_shared, s_alone) = (sha_hex(&shared), sha_hex(&alone));
    assert!(
        h.vault.blobs.get(&s_alone).await.unwrap().is_some(),
        "kept until collected"
    );
    let got = sceau_vault::gc::collect(
        &h.config.data_dir,
        h.vault.meta.clone(),
        h.vault.blobs.as_ref(),
    )
    .await
    .unwrap();
    assert_eq!((got.deleted, got.kept), (1, 1), "{got:?}");
    assert!(h.vault.blobs.get(&s_alone).await.unwrap().is_none());
    assert!(h.vault.blobs.get(&s_shared).await.unwrap().is_some());
    let back = c
        .get(h.url("/v1/vault/file?path=b.pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 200);
    assert_eq!(sha_hex(&back.bytes().await.unwrap()), s_shared);
}
