//! Office APIs over mutual TLS: feed, search, detail, office vault, and the authorisation
//! matrix (office A never reaches office B's services or files).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;

use common::*;
use sceau_proto::{DepositReceipt, FeedPage, SearchPage, ServiceDetail, VaultEntry, VaultListing};

async fn office_apis(b: Backend) {
    let h = Harness::start(b, Arc::new(sceau_vault::SceauPdfa)).await;
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let bo = office_ids(&h.ca, "Paul MARTIN", "Etude 1234");
    let ca = bound_client(&h, &a.auth, "9991").await;
    let cb = bound_client(&h, &bo.auth, "1234").await;

    // Long-poll: a waiting feed is woken by A's deposit.
    let feed_client = ca.clone();
    let feed_url = h.url("/v1/events?after=0&wait=20");
    let waiter = tokio::spawn(async move {
        feed_client
            .get(feed_url)
            .send()
            .await
            .unwrap()
            .json::<FeedPage>()
            .await
            .unwrap()
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let pkg = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "MAREF");
    let r = put_package(&h, &ca, "key-office-0001", &pkg).await;
    assert_eq!(r.status(), 200);
    let ra: DepositReceipt = r.json().await.unwrap();
    let page = waiter.await.unwrap();
    assert!(!page.events.is_empty());
    assert!(page
        .events
        .iter()
        .all(|e| e.deposit_id.as_deref() == Some(ra.deposit_id.as_str())));
    assert!(page
        .events
        .iter()
        .any(|e| e.event == "SubmissionAcceptance"));
    // Cursor: nothing new after it.
    let next: FeedPage = get_json(
        &ca,
        h.url(&format!("/v1/events?after={}", page.next_cursor)),
    )
    .await;
    assert!(next.events.is_empty());
    // Checkpoints: none yet; once the head is sealed and time-stamped, every office's feed
    // carries it, and it is the vault's (seal and time-stamp by the vault CA).
    assert!(next.checkpoint.is_none());
    let last = sceau_vault::journal::checkpoint_now(&h.vault)
        .await
        .unwrap()
        .expect("lines to seal");
    assert_eq!(
        sceau_vault::journal::checkpoint_now(&h.vault)
            .await
            .unwrap(),
        None,
        "nothing new, no new checkpoint"
    );
    for c in [&ca, &cb] {
        let page: FeedPage = get_json(c, h.url("/v1/events?after=0")).await;
        let cp = page.checkpoint.expect("the feed publishes the checkpoint");
        let st = sceau_cades::proof::verify_checkpoint(&cp, &h.vault.seal.ca).unwrap();
        assert_eq!((st.first, st.last), (1, last));
    }
    let ca_cert = h.vault.seal.ca.clone();
    let meta = h.vault.meta.clone();
    let checked = tokio::task::spawn_blocking(move || {
        sceau_vault::journal::verify_checkpoints(meta.as_ref(), &ca_cert).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        checked,
        sceau_vault::journal::CheckpointVerification::Sealed {
            checkpoints: 1,
            sealed: last
        }
    );
    let pkg_b = simple_package(&bo.sign, &bank, "SAISIE_ATTRIBUTION", "REF_B");
    let rb: DepositReceipt = put_package_json(&h, &cb, "key-office-0002", &pkg_b).await;

    // Search with criteria; each office sees only its own.
    let s: SearchPage = get_json(&ca, h.url("/v1/services?reference=mar&nature=SAISIE_ATTRIBUTION&source=form&state=awaiting_consultation&document=MAREF")).await;
    assert_eq!(s.total, 1);
    assert_eq!(s.results[0].deposit_id, ra.deposit_id);
    let day = ra
        .deposited_at
        .with_timezone(&sceau_core::PARIS)
        .date_naive();
    let s: SearchPage = get_json(
        &ca,
        h.url(&format!(
            "/v1/services?from={day}&to={day}&recipient_id={bank}"
        )),
    )
    .await;
    assert_eq!(s.total, 1);
    let s: SearchPage = get_json(
        &ca,
        h.url(&format!("/v1/services?from={}", day.succ_opt().unwrap())),
    )
    .await;
    assert_eq!(s.total, 0);
    let s: SearchPage = get_json(&ca, h.url("/v1/services?reference=REF_B")).await;
    assert_eq!(s.total, 0, "A does not find B's service");

    // Detail sheet and history.
    let d: ServiceDetail = get_json(&ca, h.url(&format!("/v1/services/{}", ra.deposit_id))).await;
    assert_eq!(d.act.reference, "MAREF");
    assert_eq!(d.act.recipient_siret.as_deref(), Some("73282932000074"));
    assert_eq!(d.attestation.archive_name, ra.archive_name);
    assert_eq!(d.attestation.xml_name, "attestation_depot.xml");
    assert_eq!(d.history.len(), 4);
    assert!(d.history[1]
        .message
        .contains("déposé dans le coffre destinataire BANQUE TEST"));

    // Office vault: list, properties, download, mkdir, move, rename, delete refused.
    let l: VaultListing = get_json(&ca, h.url("/v1/vault")).await;
    assert_eq!(l.entries.len(), 1);
    assert!(l.space_used > 0);
    let zip = ca
        .get(h.url(&format!("/v1/vault/file?path={}", ra.archive_path)))
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), 200);
    assert_eq!(zip.bytes().await.unwrap().len() as u64, l.space_used);
    let r = ca
        .post(h.url("/v1/vault/folders"))
        .json(&sceau_proto::MkdirRequest {
            path: "Dossiers 2026".into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let moved: VaultEntry = post_json(
        &ca,
        h.url("/v1/vault/move"),
        &sceau_proto::MoveRequest {
            from: ra.archive_path.clone(),
            to: format!("Dossiers 2026/{}", ra.archive_name),
        },
    )
    .await;
    assert!(moved.retained_until.is_some());
    let r = ca
        .post(h.url("/v1/vault/move"))
        .json(&sceau_proto::MoveRequest {
            from: "Dossiers 2026".into(),
            to: "Archives 2026".into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let new_path = format!("Archives 2026/{}", ra.archive_name);
    let r = ca
        .delete(h.url(&format!("/v1/vault/file?path={new_path}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(code(r).await, "retained");
    let r = ca
        .delete(h.url("/v1/vault/file?path=Archives 2026"))
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "retained");
    let r = ca
        .get(h.url("/v1/vault/file?path=../../etc/passwd"))
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "bad_request");
    // An empty folder can be deleted.
    ca.post(h.url("/v1/vault/folders"))
        .json(&sceau_proto::MkdirRequest {
            path: "Vide".into(),
        })
        .send()
        .await
        .unwrap();
    let r = ca
        .delete(h.url("/v1/vault/file?path=Vide"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // Proof bundle.
    let proof: serde_json::Value =
        get_json(&ca, h.url(&format!("/v1/vault/proof?path={new_path}"))).await;
    assert_eq!(proof["journal"].as_array().unwrap().len(), 4);
    assert!(proof["timestamp_token"].as_str().unwrap().len() > 100);

    // Authorisation matrix: B cannot see, search, download, move or delete A's things.
    let s = ca
        .get(h.url(&format!("/v1/services/{}", rb.deposit_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(code(s).await, "not_found");
    let s = cb
        .get(h.url(&format!("/v1/services/{}", ra.deposit_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(code(s).await, "not_found");
    for (method, url) in [
        ("GET", format!("/v1/vault/file?path={new_path}")),
        ("GET", format!("/v1/vault/properties?path={new_path}")),
        ("GET", format!("/v1/vault/proof?path={new_path}")),
        ("GET", "/v1/vault?path=Archives 2026".to_string()),
        ("DELETE", format!("/v1/vault/file?path={new_path}")),
        // "Transférer" into A's folder: B's vault has no such folder.
        (
            "PUT",
            "/v1/vault/file?path=Archives 2026/intrus.pdf".to_string(),
        ),
    ] {
        let req = match method {
            "GET" => cb.get(h.url(&url)),
            "PUT" => cb.put(h.url(&url)).body("intrus"),
            _ => cb.delete(h.url(&url)),
        };
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 404, "{method} {url}");
        assert_eq!(code(r).await, "not_found");
    }
    let r = cb
        .post(h.url("/v1/vault/move"))
        .json(&sceau_proto::MoveRequest {
            from: new_path.clone(),
            to: "x.zip".into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "not_found");
    let lb: VaultListing = get_json(&cb, h.url("/v1/vault")).await;
    assert!(lb
        .entries
        .iter()
        .all(|e| !e.path.starts_with("Archives 2026")));
    let fb: FeedPage = get_json(&cb, h.url("/v1/events")).await;
    assert!(fb
        .events
        .iter()
        .all(|e| e.deposit_id.as_deref() != Some(ra.deposit_id.as_str())));
    // B's retry with A's idempotency key is B's own, separate namespace.
    let r = put_package(&h, &cb, "key-office-0001", &pkg_b).await;
    assert_eq!(r.status(), 200);
    // An unbound certificate reaches nothing.
    let stranger = person(
        &h.ca,
        "Luc DURAND",
        "Etude 5555",
        sceau_testsupport::pki::Profile::Authentication,
    );
    let cs = h.client(Some(&stranger));
    for url in [
        "/v1/services",
        "/v1/vault",
        "/v1/events",
        "/v1/natures",
        "/v1/recipients?name=b",
    ] {
        let r = cs.get(h.url(url)).send().await.unwrap();
        assert_eq!(code(r).await, "certificate_not_bound", "{url}");
    }
    let r = put_package(&h, &cs, "key-stranger-01", &pkg).await;
    assert_eq!(code(r).await, "certificate_not_bound");
    let r = cs
        .put(h.url("/v1/vault/file?path=intrus.pdf"))
        .body("intrus")
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "certificate_not_bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_office_apis_and_authorisation() {
    office_apis(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaled_office_apis_and_authorisation() {
    office_apis(Backend::Scaled).await;
}

async fn directory(b: Backend) {
    let h = Harness::start(b, Arc::new(sceau_vault::SceauPdfa)).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let file = h.dir.path().join("dest.csv");
    std::fs::write(
        &file,
        "kind;name;siret;nir;email;phone_mobile\nbank;BANQUE TEST;73282932000074;;a@b.test;0600000000\nperson;Élodie Étienne;;269054958815780;;\ncompany;La Poste;35600000000048;;;\n",
    )
    .unwrap();
    let n = tokio::task::block_in_place(|| {
        sceau_vault::admin::import_recipients(h.vault.meta.as_ref(), &file)
    })
    .unwrap();
    assert_eq!(n, 3);
    let get = |q: &str| {
        let c = c.clone();
        let url = h.url(&format!("/v1/recipients?{q}"));
        async move { c.get(url).send().await.unwrap() }
    };
    let l: sceau_proto::RecipientList = get("name=elo").await.json().await.unwrap();
    assert_eq!(l.recipients[0].name, "Élodie Étienne");
    assert_eq!(
        l.recipients[0].nir_masked.as_deref(),
        Some("269************")
    );
    let l: sceau_proto::RecipientList = get("name=%C3%89LOD").await.json().await.unwrap();
    assert_eq!(l.recipients.len(), 1);
    let l: sceau_proto::RecipientList = get("siren=732829320").await.json().await.unwrap();
    assert_eq!(l.recipients[0].name, "BANQUE TEST");
    let l: sceau_proto::RecipientList = get("siret=35600000000048").await.json().await.unwrap();
    assert_eq!(l.recipients[0].name, "La Poste");
    let l: sceau_proto::RecipientList = get("nir=269054958815780").await.json().await.unwrap();
    assert_eq!(l.recipients.len(), 1);
    let r = get("siret=73282932000075").await;
    let body: sceau_proto::ErrorBody = r.json().await.unwrap();
    assert_eq!(body.code, "invalid_identifier");
    assert!(body.message.contains("clé de contrôle"), "{}", body.message);
    let card: sceau_proto::Recipient =
        get_json(&c, h.url("/v1/recipients/siret-73282932000074")).await;
    assert_eq!(card.phone_mobile.as_deref(), Some("0600000000"));
    let natures: Vec<sceau_proto::Nature> = get_json(&c, h.url("/v1/natures")).await;
    assert!(natures
        .iter()
        .any(|n| n.code == "SAISIE_ATTRIBUTION" && n.return_expected));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_directory() {
    directory(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaled_directory() {
    directory(Backend::Scaled).await;
}
