//! One legal instant per deposit (CPC 664-1: the date and time of an electronic service are
//! "celles de l'envoi"): the vault's trusted clock read once, when the whole package is in its
//! hands and before any check; the hours are checked at that instant and every record says it —
//! the receipt, the deposit's row, the attestation, its time-stamp, the journal and the office's
//! feed and detail sheet — however long the checks, the seal and the commit take after it.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::process::Command;
use std::sync::Arc;

use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use common::*;
use sceau_proto::{DepositReceipt, ServiceDetail};
use sceau_vault::config::Clock;

async fn one_instant(b: Backend) {
    let h = Harness::start(b, Arc::new(sceau_vault::SceauPdfa)).await;
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let pkg = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "REF_INSTANT");

    // A Tuesday at 20:59:50 in Paris, and every reading of the clock moves it 3 s on: a deposit
    // that read the time twice would record two instants, and one read after 21:00 would be
    // refused.
    let day = sceau_testsupport::deposit::tuesday_morning()
        .with_timezone(&sceau_core::PARIS)
        .date_naive();
    let start: DateTime<Utc> = sceau_core::PARIS
        .from_local_datetime(&day.and_hms_opt(20, 59, 50).unwrap())
        .unwrap()
        .with_timezone(&Utc);
    h.clock.set(start);
    h.clock.set_step(Duration::seconds(3));
    let r = put_package(&h, &c, "key-instant-0001", &pkg).await;
    h.clock.set_step(Duration::zero());
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let receipt: DepositReceipt = r.json().await.unwrap();
    let t = receipt.deposited_at;
    assert!(t >= start && t < start + Duration::seconds(10), "{t}");
    assert!(
        h.clock.now() > t,
        "the clock was read again after the deposit's instant"
    );

    // The deposit's row.
    use sceau_vault::store::meta;
    let office = h
        .vault
        .db(|sql| meta::office_by_number(sql, "9991"))
        .await
        .unwrap()
        .unwrap()
        .office
        .id;
    let id = receipt.deposit_id.clone();
    let row = h
        .vault
        .db(move |sql| meta::deposit(sql, &office, &id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.deposited_at, t);

    // The attestation and its time-stamp (genTime read by openssl).
    let mut archive = archived(&h, "9991", &receipt.archive_path).await;
    assert_eq!(archive.entry.modified, t);
    let mut read = |name: &str| archive.read(name);
    let xml = String::from_utf8(read("attestation_depot.xml")).unwrap();
    let tst = read("attestation_depot.xml.tst");
    assert!(
        xml.contains(&format!(
            "<dateDepot>{}</dateDepot>",
            t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
        )),
        "{xml}"
    );
    assert!(xml.contains(&format!(
        "<dateDepotParis>{}</dateDepotParis>",
        t.with_timezone(&sceau_core::PARIS)
            .format("%d/%m/%Y %H:%M:%S")
    )));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.tst"), &tst).unwrap();
    let out = Command::new("openssl")
        .args(["ts", "-reply", "-token_in", "-text", "-in"])
        .arg(dir.path().join("a.tst"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    // "Time stamp: Mar  3 19:59:53 2026 GMT": the deposit's instant, to the second.
    let stamped = text
        .lines()
        .find_map(|l| l.strip_prefix("Time stamp: "))
        .unwrap_or_default();
    assert_eq!(
        stamped,
        format!("{} GMT", t.format("%b %e %H:%M:%S %Y")),
        "{text}"
    );

    // The journal (every line of this deposit) and the office's detail sheet and feed.
    let detail: ServiceDetail =
        get_json(&c, h.url(&format!("/v1/services/{}", receipt.deposit_id))).await;
    assert_eq!(detail.act.deposited_at, t);
    assert_eq!(detail.attestation.served_at, t);
    assert!(detail.history.len() >= 4, "{:?}", detail.history);
    for e in &detail.history {
        assert_eq!(e.at, t, "{} {}", e.event, e.message);
    }
    let feed: sceau_proto::FeedPage = get_json(&c, h.url("/v1/events?after=0")).await;
    let mine: Vec<_> = feed
        .events
        .iter()
        .filter(|e| e.deposit_id.as_deref() == Some(receipt.deposit_id.as_str()))
        .collect();
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|e| e.at == t));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_has_one_legal_instant() {
    one_instant(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_has_one_legal_instant_on_postgres_and_s3() {
    one_instant(Backend::Scaled).await;
}
