//! Two vault instances on one PostgreSQL database and one bucket (issue 20): either may take any
//! request, and what is shared is decided once — a deposit sent to both with one idempotency key
//! is one deposit, deliveries decided by both at once are decided once, checkpoints and the
//! journal stay one chain.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;

use common::*;
use sceau_proto::DepositReceipt;
use sceau_vault::store::meta;
use sceau_vault::store::sql::tx;
use sceau_vault::SceauPdfa;

/// A second instance: its own data directory (a copy of the first's keys, as an operator
/// deploys a second machine), the same database, bucket and clock, served on its own port.
struct Second {
    vault: Arc<sceau_vault::Vault>,
    base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Second {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn second(h: &Harness) -> Second {
    let vault = h.second_instance().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let tls = vault.tls_config().unwrap();
    let app = sceau_vault::app(vault.clone());
    let task = tokio::spawn(async move {
        let _ = sceau_vault::serve(listener, tls, app).await;
    });
    Second { vault, base, task }
}

fn on_plain_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

fn journal_events(h: &Harness, deposit: &str, event: &str) -> usize {
    let (d, e) = (deposit.to_owned(), event.to_owned());
    on_plain_thread(|| {
        tx(h.vault.meta.as_ref(), move |sql| {
            meta::deposit_journal(sql, &d)
        })
        .unwrap()
        .into_iter()
        .filter(|j| j.event == e)
        .count()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_deposits_deliveries_and_the_journal() {
    let h = Harness::start(Backend::Scaled, Arc::new(SceauPdfa)).await;
    let two = second(&h).await;
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c1 = bound_client(&h, &a.auth, "9991").await;
    // The office bound through the first instance is bound for the second: one database.
    let c2 = mtls_client(&h.config.data_dir, Some(&a.auth));

    // One package, one key, sent to both instances at once (a client retrying on the other
    // machine): one deposit, the same receipt from both.
    let pkg = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "REF_DOUBLE");
    let base1 = h.url("");
    let (r1, r2) = tokio::join!(
        put_package_at(&c1, &base1, "key-twice-000001", &pkg),
        put_package_at(&c2, &two.base, "key-twice-000001", &pkg)
    );
    assert_eq!(r1.status(), 200);
    assert_eq!(r2.status(), 200);
    let (r1, r2): (DepositReceipt, DepositReceipt) =
        (r1.json().await.unwrap(), r2.json().await.unwrap());
    assert_eq!(r1.deposit_id, r2.deposit_id, "one deposit");

    // Twenty deposits, alternating instances, eight at a time.
    use futures_util::StreamExt;
    let receipts: Vec<DepositReceipt> = futures_util::stream::iter(0..20)
        .map(|i| {
            let (c, base) = if i % 2 == 0 {
                (&c1, base1.clone())
            } else {
                (&c2, two.base.clone())
            };
            let pkg = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", &format!("REF_{i:03}"));
            async move {
                let r = put_package_at(c, &base, &format!("key-alt-{i:08}"), &pkg).await;
                assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
                r.json::<DepositReceipt>().await.unwrap()
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let count = on_plain_thread(|| {
        tx(h.vault.meta.as_ref(), |sql| {
            Ok(sql.query("SELECT COUNT(*) FROM deposits", &[])?[0][0].int())
        })
        .unwrap()
    });
    assert_eq!(count, 21, "each deposit once");

    // The bank API answers the same from either instance: its list, then an act read through
    // the second decides "à personne" once, seen by the first.
    let bank_id =
        h.ca.issue(&sceau_testsupport::pki::IssueRequest::new(
            "Banque Test API",
            sceau_testsupport::pki::KeySpec::EcP256,
            sceau_testsupport::pki::Profile::Authentication,
        ))
        .unwrap();
    let fp = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bank_id.cert_der));
    let b2 = bank.clone();
    on_plain_thread(|| {
        tx(h.vault.meta.as_ref(), |sql| {
            meta::bind_bank_cert(sql, &fp, &b2, sceau_testsupport::deposit::tuesday_morning())
        })
        .unwrap()
    });
    let api = mtls_client(&h.config.data_dir, Some(&bank_id));
    let list1: sceau_proto::BankActList = get_json(&api, format!("{base1}/v1/bank/acts")).await;
    let list2: sceau_proto::BankActList =
        get_json(&api, format!("{}/v1/bank/acts", two.base)).await;
    assert_eq!(list1.acts.len(), 21);
    assert_eq!(
        list1.acts.iter().map(|a| &a.deposit_id).collect::<Vec<_>>(),
        list2.acts.iter().map(|a| &a.deposit_id).collect::<Vec<_>>()
    );
    let first = &receipts[0];
    let r = api
        .get(format!(
            "{}/v1/bank/acts/{}/documents/{}",
            two.base, first.deposit_id, first.documents[0]
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list1: sceau_proto::BankActList = get_json(&api, format!("{base1}/v1/bank/acts")).await;
    assert_eq!(
        list1.acts.len(),
        20,
        "read through the second, seen by the first"
    );
    assert_eq!(
        journal_events(&h, &first.deposit_id, "sceau:DeliveredInPerson"),
        1
    );

    // The next day, both instances decide the deliveries at the same moment: each once.
    h.clock
        .set(sceau_testsupport::deposit::tuesday_morning() + chrono::Duration::days(1));
    let (d1, d2) = tokio::join!(
        sceau_vault::delivery::decide_due(&h.vault),
        sceau_vault::delivery::decide_due(&two.vault)
    );
    assert_eq!(
        d1.unwrap() + d2.unwrap(),
        20,
        "every other deposit decided, by one of them"
    );
    for r in receipts.iter().skip(1).chain([&r1]) {
        assert_eq!(
            journal_events(&h, &r.deposit_id, "sceau:DeliveredAtHome"),
            1,
            "{}",
            r.deposit_id
        );
    }
    let (d1, d2) = tokio::join!(
        sceau_vault::delivery::decide_due(&h.vault),
        sceau_vault::delivery::decide_due(&two.vault)
    );
    assert_eq!((d1.unwrap(), d2.unwrap()), (0, 0));

    // Checkpoints made by both at once: one covers the lines, and the chain is whole.
    let (k1, k2) = tokio::join!(
        sceau_vault::journal::checkpoint_now(&h.vault),
        sceau_vault::journal::checkpoint_now(&two.vault)
    );
    let made = [k1.unwrap(), k2.unwrap()];
    assert_eq!(made.iter().filter(|k| k.is_some()).count(), 1, "{made:?}");
    assert!(matches!(
        on_plain_thread(|| sceau_vault::journal::verify(h.vault.meta.as_ref()).unwrap()),
        sceau_vault::journal::Verification::Intact { .. }
    ));

    // The load balancer's check: both instances in service, then out of service once the
    // object store stops answering (503, saying which store).
    for base in [base1.as_str(), two.base.as_str()] {
        let r = h
            .client(None)
            .get(format!("{base}/v1/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let mut h = h;
    h.stop_blob_server();
    let r = h
        .client(None)
        .get(h.url("/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        v,
        serde_json::json!({"status": "unavailable", "database": true, "blobs": false})
    );
}
