//! "Éditer propriétés" of the office vault over mutual TLS, on both backends: the description
//! and the retention an office sets on its files and folders, what a retention forbids, what
//! follows a move, and that another office reaches none of it. And the migration that adds the
//! description to a vault of an earlier version, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;

use chrono::{Days, NaiveDate, TimeZone, Utc};
use common::*;
use sceau_proto::{DepositReceipt, MkdirRequest, MoveRequest, VaultEntry, VaultListing};
use sceau_testsupport::postgres::PgServer;
use sceau_vault::store::meta;
use sceau_vault::store::sql::{tx, Metadata, PgMeta, SqliteMeta};
use serde_json::json;

async fn patch(c: &reqwest::Client, h: &Harness, body: serde_json::Value) -> reqwest::Response {
    c.patch(h.url("/v1/vault/properties"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn mkdir(c: &reqwest::Client, h: &Harness, path: &str) {
    let r = c
        .post(h.url("/v1/vault/folders"))
        .json(&MkdirRequest { path: path.into() })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn put_file(c: &reqwest::Client, h: &Harness, path: &str) {
    let r = c
        .put(h.url(&format!("/v1/vault/file?path={path}")))
        .body("contenu")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn entry(c: &reqwest::Client, h: &Harness, path: &str) -> VaultEntry {
    get_json(c, h.url(&format!("/v1/vault/properties?path={path}"))).await
}

async fn delete(c: &reqwest::Client, h: &Harness, path: &str) -> reqwest::Response {
    c.delete(h.url(&format!("/v1/vault/file?path={path}")))
        .send()
        .await
        .unwrap()
}

async fn move_to(c: &reqwest::Client, h: &Harness, from: &str, to: &str) -> reqwest::Response {
    c.post(h.url("/v1/vault/move"))
        .json(&MoveRequest {
            from: from.into(),
            to: to.into(),
        })
        .send()
        .await
        .unwrap()
}

async fn properties(b: Backend) {
    let h = Harness::start(b, Arc::new(sceau_vault::SceauPdfa)).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let bo = office_ids(&h.ca, "Paul MARTIN", "Etude 1234");
    let ca = bound_client(&h, &a.auth, "9991").await;
    let cb = bound_client(&h, &bo.auth, "1234").await;
    let now = h.vault.clock.now();
    let today = now.with_timezone(&sceau_core::PARIS).date_naive();
    let in_a_year = today.checked_add_days(Days::new(365)).unwrap();

    // A description on a file, returned by its properties and by the listing.
    mkdir(&ca, &h, "Clients").await;
    put_file(&ca, &h, "Clients/note.pdf").await;
    let text = "Dossier Martin\nà relancer en mars";
    let r = patch(
        &ca,
        &h,
        json!({"path": "Clients/note.pdf", "description": text}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let e: VaultEntry = r.json().await.unwrap();
    assert_eq!(e.description.as_deref(), Some(text));
    assert_eq!(e.retained_until, None);
    let l: VaultListing = get_json(&ca, h.url("/v1/vault?path=Clients")).await;
    assert_eq!(l.entries[0].description.as_deref(), Some(text));
    // Refused descriptions: too long, control characters; the stored one is unchanged.
    for bad in ["x".repeat(501), "a\tb".into(), "a\u{1b}[31mb".into()] {
        let r = patch(
            &ca,
            &h,
            json!({"path": "Clients/note.pdf", "description": bad}),
        )
        .await;
        assert_eq!(r.status(), 422);
        assert_eq!(code(r).await, "description_invalid");
    }
    assert_eq!(
        entry(&ca, &h, "Clients/note.pdf")
            .await
            .description
            .as_deref(),
        Some(text)
    );
    // A body above the route's limit is refused before it is read whole.
    let huge = "x".repeat(64 * 1024);
    let r = patch(
        &ca,
        &h,
        json!({"path": "Clients/note.pdf", "description": huge}),
    )
    .await;
    assert_eq!(r.status(), 413);
    assert_eq!(code(r).await, "too_large");
    // Path traversal and a missing path.
    let r = patch(
        &ca,
        &h,
        json!({"path": "../../etc/passwd", "description": "x"}),
    )
    .await;
    assert_eq!(code(r).await, "bad_request");
    let r = patch(
        &ca,
        &h,
        json!({"path": "Clients/absent.pdf", "description": "x"}),
    )
    .await;
    assert_eq!(r.status(), 404);

    // Retention on a folder: never in the past, extended, never shortened.
    let r = patch(
        &ca,
        &h,
        json!({"path": "Clients", "retain_until": today.pred_opt().unwrap()}),
    )
    .await;
    assert_eq!(code(r).await, "retention_past");
    let r = patch(
        &ca,
        &h,
        json!({"path": "Clients", "retain_until": in_a_year}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let folder: VaultEntry = r.json().await.unwrap();
    let until = folder.retained_until.unwrap();
    assert_eq!(
        until,
        sceau_core::paris_day_start(in_a_year.succ_opt().unwrap()) - chrono::Duration::seconds(1)
    );
    let r = patch(&ca, &h, json!({"path": "Clients", "retain_until": today})).await;
    assert_eq!(r.status(), 409);
    let body: sceau_proto::ErrorBody = r.json().await.unwrap();
    assert_eq!(body.code, "retention_shortened");
    assert!(body.message.contains("prolongée"), "{}", body.message);
    // Setting the description leaves the retention as it is (and the other way round).
    let r = patch(
        &ca,
        &h,
        json!({"path": "Clients", "description": "Clients 2026"}),
    )
    .await;
    let folder: VaultEntry = r.json().await.unwrap();
    assert_eq!(folder.retained_until, Some(until));
    // While retained: the folder, and what it holds, are not deleted, nothing leaves it; a
    // move inside it is allowed.
    for p in ["Clients", "Clients/note.pdf"] {
        let r = delete(&ca, &h, p).await;
        assert_eq!(r.status(), 409, "{p}");
        assert_eq!(code(r).await, "retained");
    }
    let r = move_to(&ca, &h, "Clients/note.pdf", "note.pdf").await;
    assert_eq!(code(r).await, "retained_folder");
    mkdir(&ca, &h, "Clients/Martin").await;
    let r = move_to(
        &ca,
        &h,
        "Clients/note.pdf",
        "Clients/Martin/note-martin.pdf",
    )
    .await;
    assert_eq!(r.status(), 200);
    // A move or rename keeps description and retention.
    let r = move_to(&ca, &h, "Clients", "Clients 2026").await;
    assert_eq!(r.status(), 200);
    let moved = entry(&ca, &h, "Clients 2026").await;
    assert_eq!(moved.description.as_deref(), Some("Clients 2026"));
    assert_eq!(moved.retained_until, Some(until));
    let moved = entry(&ca, &h, "Clients 2026/Martin/note-martin.pdf").await;
    assert_eq!(moved.description.as_deref(), Some(text));
    // The description is cleared with an empty text.
    let r = patch(
        &ca,
        &h,
        json!({"path": "Clients 2026/Martin/note-martin.pdf", "description": "  "}),
    )
    .await;
    let cleared: VaultEntry = r.json().await.unwrap();
    assert_eq!(cleared.description, None);
    // Once the retention is over, the folder goes.
    h.clock.set(until);
    let r = delete(&ca, &h, "Clients 2026").await;
    assert_eq!(r.status(), 204);
    h.clock.set(now);

    // A service's archive: its retention (set by the vault) is extended, never shortened, and
    // a plain file with an office retention may change its extension (only an archive keeps
    // it).
    let bank = bank_with_consent(&h).await;
    let pkg = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "PROPS");
    let ra: DepositReceipt = put_package_json(&h, &ca, "key-props-0001", &pkg).await;
    let archive = entry(&ca, &h, &ra.archive_path).await;
    let vault_set = archive.retained_until.unwrap();
    let r = patch(
        &ca,
        &h,
        json!({"path": ra.archive_path, "retain_until": in_a_year}),
    )
    .await;
    assert_eq!(code(r).await, "retention_shortened");
    let later = vault_set
        .with_timezone(&sceau_core::PARIS)
        .date_naive()
        .checked_add_days(Days::new(30))
        .unwrap();
    let r = patch(
        &ca,
        &h,
        json!({"path": ra.archive_path, "retain_until": later, "description": "Saisie Martin"}),
    )
    .await;
    let archive: VaultEntry = r.json().await.unwrap();
    assert!(archive.retained_until.unwrap() > vault_set);
    assert_eq!(archive.description.as_deref(), Some("Saisie Martin"));
    put_file(&ca, &h, "brouillon.txt").await;
    let r = patch(
        &ca,
        &h,
        json!({"path": "brouillon.txt", "retain_until": in_a_year}),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        move_to(&ca, &h, "brouillon.txt", "brouillon.md")
            .await
            .status(),
        200
    );
    assert_eq!(
        code(delete(&ca, &h, "brouillon.md").await).await,
        "retained"
    );

    // Office B on A's paths: the same answer as a missing path, and nothing changes.
    for (path, body) in [
        (ra.archive_path.clone(), json!({"description": "intrus"})),
        (ra.archive_path.clone(), json!({"retain_until": later})),
        ("brouillon.md".to_owned(), json!({"description": "intrus"})),
    ] {
        let mut body = body;
        body["path"] = json!(path);
        let r = patch(&cb, &h, body).await;
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(code(r).await, "not_found");
        let r = cb
            .get(h.url(&format!("/v1/vault/properties?path={path}")))
            .send()
            .await
            .unwrap();
        assert_eq!(code(r).await, "not_found");
    }
    assert_eq!(
        entry(&ca, &h, &ra.archive_path)
            .await
            .description
            .as_deref(),
        Some("Saisie Martin")
    );
    let lb: VaultListing = get_json(&cb, h.url("/v1/vault")).await;
    assert!(lb.entries.iter().all(|e| e.description.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_description_and_retention() {
    properties(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaled_description_and_retention() {
    properties(Backend::Scaled).await;
}

/// A vault of an earlier version (its `vault_entries` without `description`) keeps its
/// entries, which read without a description, and takes one after the migration.
fn migration(m: &dyn Metadata) {
    tx(m, |sql| {
        sql.exec(
            "CREATE TABLE vault_entries (office_id TEXT NOT NULL, path TEXT NOT NULL, \
             is_folder BIGINT NOT NULL, size BIGINT NOT NULL, sha256 TEXT, modified TEXT NOT NULL, \
             retained_until TEXT, deposit_id TEXT, PRIMARY KEY (office_id, path))",
            &[],
        )?;
        sql.exec(
            "INSERT INTO vault_entries VALUES ('o1', 'Ancien', 1, 0, NULL, \
             '2026-03-02T10:00:00.000000Z', NULL, NULL)",
            &[],
        )
    })
    .unwrap();
    meta::migrate_all(m).unwrap();
    meta::migrate_all(m).unwrap();
    let old = tx(m, |sql| meta::entry(sql, "o1", "Ancien"))
        .unwrap()
        .unwrap();
    assert_eq!(old.description, None);
    assert_eq!(
        old.modified,
        Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
    );
    let until = sceau_core::paris_day_start(NaiveDate::from_ymd_opt(2030, 1, 1).unwrap());
    tx(m, |sql| {
        meta::set_entry_description(sql, "o1", "Ancien", Some("Archives papier"))?;
        meta::set_entry_retention(sql, "o1", "Ancien", until)
    })
    .unwrap();
    let e = tx(m, |sql| meta::entry(sql, "o1", "Ancien"))
        .unwrap()
        .unwrap();
    assert_eq!(e.description.as_deref(), Some("Archives papier"));
    assert_eq!(e.retained_until, Some(until));
}

#[test]
fn migration_adds_the_description_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    migration(&SqliteMeta::open(&dir.path().join("v.db")).unwrap());
}

#[test]
fn migration_adds_the_description_on_postgres() {
    let pg = PgServer::start().unwrap();
    let url = pg.create_database("vault").unwrap();
    migration(&PgMeta::connect(&url).unwrap());
}
