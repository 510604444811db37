//! Integration tests of the local store: encryption at rest, keys, migrations, services,
//! dashboard, search, outbox (including a process killed mid-transition), caches.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use sceau_core::delivery::{DeliveryState, NotificationCategory};
use sceau_store::{
    Consent, DashboardFilter, InsecureFileKeyStoreForTests, KeyStore, NewDocument, NewService,
    OutboxState, Recipient, SearchCriteria, SearchSort, SortKey, Source, Store, LATEST_VERSION,
    PAGE_SIZE,
};

mod crash;
#[cfg(target_os = "linux")]
mod secret_service;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn db(&self) -> PathBuf {
        self.dir.path().join("sceau.db")
    }
    fn keys(&self) -> InsecureFileKeyStoreForTests {
        InsecureFileKeyStoreForTests::new(self.dir.path().join("key.bin"))
    }
    fn open(&self) -> Store {
        Store::open(self.db(), &self.keys()).unwrap()
    }
}

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

fn service(reference: &str, recipient: &str, nature: &str, source: Source) -> NewService {
    NewService {
        reference: reference.into(),
        recipient_id: format!("rcp-{}", recipient.len()),
        recipient_name: recipient.into(),
        nature: nature.into(),
        source,
        created_at: t(1, 9),
        documents: vec![NewDocument {
            name: format!("9991_{reference}_20260301_090000.pdf"),
            size: 1234,
            sha256: [7; 32],
            local_path: PathBuf::from(format!("/tmp/{reference}.pdf")),
        }],
        requerant: Some("SA CREANCIER".into()),
        edi_batch: None,
    }
}

fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn creates_then_reopens_with_the_same_key() {
    let f = Fixture::new();
    let id = {
        let mut s = f.open();
        assert_eq!(s.schema_version().unwrap(), LATEST_VERSION);
        s.insert_service(&service("R1", "BANQUE TEST", "SA", Source::Form))
            .unwrap()
    };
    let key1 = f.keys().load().unwrap().unwrap();
    let s = f.open();
    assert_eq!(s.service(id).unwrap().reference, "R1");
    assert_eq!(
        f.keys().load().unwrap().unwrap().as_bytes(),
        key1.as_bytes()
    );
}

#[test]
fn database_and_wal_hold_no_plaintext() {
    let f = Fixture::new();
    let mut s = f.open();
    let secret_name = "Hortense DE LA VILLARDIÈRE";
    let secret_ref = "DOSSIER-CONFIDENTIEL-4242";
    let id = s
        .insert_service(&service(secret_ref, secret_name, "SA", Source::Form))
        .unwrap();
    s.mark_deposited(id, "dep-1", t(2, 10)).unwrap();
    s.upsert_recipient(&Recipient {
        id: "r1".into(),
        kind: sceau_proto::RecipientKind::Person,
        name: secret_name.into(),
        siret: None,
        siren: None,
        nir: Some("185057800608436".into()),
        email: Some("hortense@example.org".into()),
        phone_fixed: None,
        phone_mobile: Some("+33612345678".into()),
        region: None,
        updated_at: t(1, 8),
    })
    .unwrap();
    let wal = PathBuf::from(format!("{}-wal", f.db().display()));
    let shm = PathBuf::from(format!("{}-shm", f.db().display()));
    let check = |what: &str| {
        for path in [f.db(), wal.clone(), shm.clone()] {
            let bytes = file_bytes(&path);
            for needle in [
                secret_name.as_bytes(),
                "VILLARDI".as_bytes(),
                secret_ref.as_bytes(),
                b"185057800608436",
                b"hortense@example.org",
                b"SQLite format 3",
                b"CREATE TABLE",
            ] {
                assert!(
                    !contains(&bytes, needle),
                    "{what}: {} contains {:?}",
                    path.display(),
                    String::from_utf8_lossy(needle)
                );
            }
        }
    };
    // While the data is still in the WAL, then after it was written back to the main file.
    assert!(file_bytes(&wal).len() > 1000, "the WAL holds the writes");
    check("before checkpoint");
    s.checkpoint().unwrap();
    assert!(file_bytes(&f.db()).len() > 4096);
    check("after checkpoint");
}

#[test]
fn wrong_key_is_a_clear_error_and_leaves_the_file_untouched() {
    let f = Fixture::new();
    {
        let mut s = f.open();
        s.insert_service(&service("R1", "BANQUE TEST", "SA", Source::Form))
            .unwrap();
        s.checkpoint().unwrap();
    }
    let before = file_bytes(&f.db());
    let other = tempfile::tempdir().unwrap();
    let wrong = InsecureFileKeyStoreForTests::new(other.path().join("k"));
    wrong.save(&sceau_store::DbKey::generate()).unwrap();
    let err = Store::open(f.db(), &wrong).unwrap_err();
    assert_eq!(err.code(), "store.wrong_key", "{err}");
    assert!(err.message_fr().contains("n'a pas été modifiée"));
    assert_eq!(file_bytes(&f.db()), before, "file untouched");
    // The right key still opens it, with the data.
    let s = f.open();
    assert!(s.service_by_reference("R1").unwrap().is_some());
}

#[test]
fn missing_key_is_a_clear_error_and_nothing_is_recreated() {
    let f = Fixture::new();
    {
        let mut s = f.open();
        s.insert_service(&service("R1", "BANQUE TEST", "SA", Source::Form))
            .unwrap();
        s.checkpoint().unwrap();
    }
    let before = file_bytes(&f.db());
    let key = f.keys().load().unwrap().unwrap();
    std::fs::remove_file(f.dir.path().join("key.bin")).unwrap();
    let err = Store::open(f.db(), &f.keys()).unwrap_err();
    assert_eq!(err.code(), "store.key_missing", "{err}");
    assert!(err.message_fr().contains("trousseau"));
    assert_eq!(file_bytes(&f.db()), before, "file untouched");
    assert!(f.keys().load().unwrap().is_none(), "no new key was stored");
    // Restoring the key restores access.
    f.keys().save(&key).unwrap();
    assert!(f.open().service_by_reference("R1").unwrap().is_some());
}

#[test]
fn a_malformed_stored_key_is_refused() {
    let f = Fixture::new();
    std::fs::write(f.dir.path().join("key.bin"), b"short").unwrap();
    let err = Store::open(f.db(), &f.keys()).unwrap_err();
    assert_eq!(err.code(), "store.malformed_key");
    assert!(!f.db().exists());
}

#[test]
fn upgrades_from_v1_and_migrations_are_idempotent() {
    let f = Fixture::new();
    let id = {
        let mut s = Store::open_at_version(&f.db(), &f.keys(), 1).unwrap();
        assert_eq!(s.schema_version().unwrap(), 1);
        s.set_setting("office", "9991").unwrap();
        // Written as version 1 wrote it (the current code writes later columns).
        s.execute_raw_for_tests(
            "INSERT INTO services (id, reference, reference_norm, recipient_id, recipient_name,
                 recipient_norm, nature, source, created_at, updated_at)
             VALUES (1, 'OLD-1', 'old-1', 'rcp-11', 'BANQUE TEST', 'banque test', 'SA', 'edi',
                 0, 0);
             INSERT INTO documents (service_id, name, name_norm, size, sha256, local_path)
             VALUES (1, 'OLD-1.pdf', 'old-1.pdf', 1, zeroblob(32), '/tmp/OLD-1.pdf');
             INSERT INTO history (service_id, at, message) VALUES (1, 0, 'Acte préparé');",
        )
        .unwrap();
        sceau_store::ServiceId(1)
    };
    {
        // Version 3 wrote notifications without the v4 filter columns.
        let s = Store::open_at_version(&f.db(), &f.keys(), 3).unwrap();
        assert_eq!(s.schema_version().unwrap(), 3);
        s.execute_raw_for_tests(&format!(
            "INSERT INTO notifications (service_id, category, at, event, event_norm)
             VALUES ({}, 'delivered_at_home', 0, 'Remis à domicile', 'remis a domicile')",
            id.0
        ))
        .unwrap();
    }
    let mut s = f.open();
    assert_eq!(s.schema_version().unwrap(), LATEST_VERSION);
    assert_eq!(s.setting("office").unwrap().as_deref(), Some("9991"));
    // The unseen v3 notification was back-filled: the dashboard filters find it.
    assert_eq!(s.dashboard_counts().unwrap().delivered_at_home, 1);
    for filter in [
        DashboardFilter {
            recipient: Some("banque".into()),
            ..Default::default()
        },
        DashboardFilter {
            reference: Some("old-1".into()),
            ..Default::default()
        },
    ] {
        let page = s
            .dashboard_page(NotificationCategory::DeliveredAtHome, &filter, 0)
            .unwrap();
        assert_eq!(page.items.len(), 1, "{filter:?}");
        assert_eq!(page.items[0].reference, "OLD-1");
    }
    let old = s.service(id).unwrap();
    assert_eq!(old.source, Source::Edi);
    assert_eq!(s.history(id).unwrap().len(), 1);
    // The v2/v3 features work on the upgraded file.
    s.mark_deposited(id, "dep-old", t(3, 10)).unwrap();
    assert_eq!(s.dashboard_counts().unwrap().awaiting_consultation, 1);
    let item = s
        .enqueue_service(
            &service("NEW-1", "BANQUE TEST", "SA", Source::Form),
            Path::new("/p"),
            t(1, 0),
        )
        .unwrap();
    assert_eq!(item.state, OutboxState::Prepared);
    // v5: a service from before has no requesting party; a new one keeps it.
    assert_eq!(old.requerant, None);
    assert_eq!(
        s.service(item.service_id).unwrap().requerant.as_deref(),
        Some("SA CREANCIER")
    );
    drop(s);
    let s = f.open();
    assert_eq!(s.schema_version().unwrap(), LATEST_VERSION);
}

#[test]
fn services_documents_and_history() {
    let f = Fixture::new();
    let mut s = f.open();
    let new = service("REF-A", "Société Générale", "SA", Source::Form);
    let id = s.insert_service(&new).unwrap();
    let got = s.service(id).unwrap();
    assert_eq!(got.reference, "REF-A");
    assert_eq!(got.recipient_name, "Société Générale");
    assert_eq!(got.state, None);
    assert_eq!(got.served_at, None);
    let docs = s.documents(id).unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].name, new.documents[0].name);
    assert_eq!(docs[0].sha256, [7; 32]);
    assert_eq!(docs[0].size, 1234);

    s.mark_deposited(id, "dep-A", t(2, 10)).unwrap();
    s.mark_deposited(id, "dep-A", t(2, 10)).unwrap(); // replay: no-op
    let got = s.service(id).unwrap();
    assert_eq!(got.state, Some(DeliveryState::AwaitingConsultation));
    assert_eq!(got.served_at, Some(t(2, 10)));
    assert_eq!(got.vault_deposit_id.as_deref(), Some("dep-A"));
    s.set_delivery_state(id, DeliveryState::InPerson, t(2, 15))
        .unwrap();
    s.set_delivery_state(id, DeliveryState::InPerson, t(2, 15))
        .unwrap(); // no-op
    s.record_return(id, t(3, 9), "9991_REF-A_20260301_090000_SA.pdf")
        .unwrap();
    s.add_history(id, t(3, 10), "Lettre simple envoyée")
        .unwrap();
    let h: Vec<_> = s
        .history(id)
        .unwrap()
        .into_iter()
        .map(|l| l.message)
        .collect();
    assert_eq!(h.len(), 5, "{h:?}");
    assert!(h[0].contains("préparé"));
    assert!(h[1].contains("déposé"));
    assert!(h[2].contains("remis à personne"));
    assert!(h[3].contains("Retour"));
    let missing = s.service(sceau_store::ServiceId(999)).unwrap_err();
    assert_eq!(missing.code(), "store.not_found");
}

#[test]
fn dashboard_counts_follow_every_write_and_pages_filter() {
    let f = Fixture::new();
    let mut s = f.open();
    let mut ids = Vec::new();
    for i in 0..25u32 {
        let recipient = if i % 2 == 0 {
            "BANQUE TEST"
        } else {
            "Élodie Martin"
        };
        let id = s
            .insert_service(&service(
                &format!("REF-{i:02}"),
                recipient,
                "SA",
                Source::Form,
            ))
            .unwrap();
        s.mark_deposited(
            id,
            &format!("dep-{i}"),
            t(2, 0) + Duration::minutes(i.into()),
        )
        .unwrap();
        ids.push(id);
    }
    let c = s.dashboard_counts().unwrap();
    assert_eq!(c.awaiting_consultation, 25);
    // 5 delivered in person, 5 at home, 3 returns.
    for id in &ids[0..5] {
        s.set_delivery_state(*id, DeliveryState::InPerson, t(3, 1))
            .unwrap();
    }
    for id in &ids[5..10] {
        s.set_delivery_state(*id, DeliveryState::AtHome, t(3, 2))
            .unwrap();
    }
    for id in &ids[0..3] {
        s.record_return(*id, t(4, 1), "retour.pdf").unwrap();
    }
    let c = s.dashboard_counts().unwrap();
    assert_eq!(c, s.dashboard_counts_scanned().unwrap());
    assert_eq!(c.awaiting_consultation, 15);
    assert_eq!(c.delivered_in_person, 5);
    assert_eq!(c.delivered_at_home, 5);
    assert_eq!(c.return_awaiting_consultation, 3);

    // Pages of ten, most recent first.
    let cat = NotificationCategory::AwaitingConsultation;
    let p0 = s
        .dashboard_page(cat, &DashboardFilter::default(), 0)
        .unwrap();
    assert_eq!(p0.items.len(), PAGE_SIZE);
    assert!(p0.has_more);
    assert_eq!(p0.items[0].reference, "REF-24");
    let p1 = s
        .dashboard_page(cat, &DashboardFilter::default(), 1)
        .unwrap();
    assert_eq!(p1.items.len(), 5);
    assert!(!p1.has_more);

    // Filters: reference, recipient (accents and case ignored), file, event, date.
    let by = |flt: DashboardFilter| s.dashboard_page(cat, &flt, 0).unwrap().items;
    let r = by(DashboardFilter {
        reference: Some("ref-1".into()),
        ..Default::default()
    });
    assert_eq!(r.len(), 10, "REF-10..REF-19");
    let r = by(DashboardFilter {
        recipient: Some("elodie".into()),
        ..Default::default()
    });
    assert!(!r.is_empty() && r.iter().all(|n| n.recipient_name == "Élodie Martin"));
    let r = by(DashboardFilter {
        file: Some("9991_REF-12".into()),
        ..Default::default()
    });
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].reference, "REF-12");
    let r = by(DashboardFilter {
        event: Some("acte depose".into()),
        ..Default::default()
    });
    assert_eq!(r.len(), 10);
    let r = by(DashboardFilter {
        from: Some(t(2, 0) + Duration::minutes(20)),
        until: Some(t(2, 0) + Duration::minutes(22)),
        ..Default::default()
    });
    assert_eq!(r.len(), 2);

    // Mark seen: the eye, then the magnifier (all notifications of a service).
    let first = &p0.items[0];
    assert!(s.mark_seen(first.id).unwrap());
    assert!(!s.mark_seen(first.id).unwrap(), "already seen");
    assert_eq!(s.dashboard_counts().unwrap().awaiting_consultation, 14);
    assert_eq!(
        s.mark_service_seen(ids[0]).unwrap(),
        2,
        "in person + return"
    );
    let c = s.dashboard_counts().unwrap();
    assert_eq!(c.delivered_in_person, 4);
    assert_eq!(c.return_awaiting_consultation, 2);
    assert_eq!(c, s.dashboard_counts_scanned().unwrap());
    // A seen service that gets delivered later shows up again, in its new category.
    s.set_delivery_state(ids[24], DeliveryState::InPerson, t(5, 1))
        .unwrap();
    let c = s.dashboard_counts().unwrap();
    assert_eq!(
        c.awaiting_consultation, 14,
        "its awaiting notification was already seen"
    );
    assert_eq!(c.delivered_in_person, 5);
    assert_eq!(c, s.dashboard_counts_scanned().unwrap());
}

#[test]
fn search_by_every_criterion() {
    let f = Fixture::new();
    let mut s = f.open();
    let specs = [
        (
            "SA-001",
            "BANQUE TEST",
            "SA",
            Source::Edi,
            Some(DeliveryState::InPerson),
            2,
        ),
        (
            "SA-002",
            "BANQUE TEST",
            "SA",
            Source::Edi,
            Some(DeliveryState::AtHome),
            3,
        ),
        (
            "CP-001",
            "Élodie Martin",
            "CP",
            Source::Form,
            Some(DeliveryState::AwaitingConsultation),
            4,
        ),
        ("CP-002", "Jean Dupont", "CP", Source::Form, None, 0),
    ];
    for (reference, recipient, nature, source, state, day) in specs {
        let id = s
            .insert_service(&service(reference, recipient, nature, source))
            .unwrap();
        if let Some(state) = state {
            s.mark_deposited(id, &format!("dep-{reference}"), t(day, 10))
                .unwrap();
            s.set_delivery_state(id, state, t(day, 12)).unwrap();
        }
    }
    let refs = |c: SearchCriteria| -> Vec<String> {
        s.search(&c, 0)
            .unwrap()
            .items
            .into_iter()
            .map(|x| x.reference)
            .collect()
    };
    assert_eq!(
        refs(SearchCriteria::default()),
        ["CP-001", "SA-002", "SA-001", "CP-002"],
        "most recent service first, not deposited last"
    );
    assert_eq!(
        refs(SearchCriteria {
            served_from: Some(t(3, 0)),
            served_until: Some(t(4, 0)),
            ..Default::default()
        }),
        ["SA-002"]
    );
    assert_eq!(
        refs(SearchCriteria {
            state: Some(DeliveryState::InPerson),
            ..Default::default()
        }),
        ["SA-001"]
    );
    assert_eq!(
        refs(SearchCriteria {
            reference: Some("cp-".into()),
            ..Default::default()
        }),
        ["CP-001", "CP-002"]
    );
    assert_eq!(
        refs(SearchCriteria {
            document_name: Some("9991_SA-002".into()),
            ..Default::default()
        }),
        ["SA-002"]
    );
    assert_eq!(
        refs(SearchCriteria {
            recipient: Some("elodie mar".into()),
            ..Default::default()
        }),
        ["CP-001"]
    );
    assert_eq!(
        refs(SearchCriteria {
            nature: Some("SA".into()),
            ..Default::default()
        }),
        ["SA-002", "SA-001"]
    );
    assert_eq!(
        refs(SearchCriteria {
            source: Some(Source::Form),
            ..Default::default()
        }),
        ["CP-001", "CP-002"]
    );
    assert_eq!(
        refs(SearchCriteria {
            source: Some(Source::Edi),
            state: Some(DeliveryState::AtHome),
            recipient: Some("banque".into()),
            ..Default::default()
        }),
        ["SA-002"],
        "criteria combine"
    );
    // Pagination.
    for i in 0..15 {
        s.insert_service(&service(&format!("PG-{i:02}"), "X", "SA", Source::Form))
            .unwrap();
    }
    let c = SearchCriteria {
        reference: Some("PG".into()),
        ..Default::default()
    };
    let p0 = s.search(&c, 0).unwrap();
    let p1 = s.search(&c, 1).unwrap();
    assert_eq!((p0.items.len(), p0.has_more), (10, true));
    assert_eq!((p1.items.len(), p1.has_more), (5, false));
}

/// Every page of a search, in order.
fn all_pages(s: &Store, c: &SearchCriteria) -> Vec<sceau_store::Service> {
    let mut out = Vec::new();
    for n in 0.. {
        let page = s.search(c, n).unwrap();
        assert!(page.items.len() <= PAGE_SIZE);
        out.extend(page.items);
        if !page.has_more {
            break;
        }
    }
    out
}

#[test]
fn search_sorts_every_match_by_each_column_with_stable_pages() {
    let f = Fixture::new();
    let mut s = f.open();
    // 27 services: references and names out of insertion order, with accents and case mixed,
    // equal times of service (ties), every state, and two not yet deposited.
    let names = [
        "Élodie Martin",
        "banque test",
        "ADEC",
        "Zoé Durand",
        "Banque Nord",
    ];
    let states = [
        Some(DeliveryState::InPerson),
        Some(DeliveryState::AwaitingConsultation),
        Some(DeliveryState::AtHome),
        None,
    ];
    let mut ids = Vec::new();
    for i in 0..27u32 {
        let reference = format!(
            "{}-{:02}",
            ["sa", "CP", "Éd", "ab"][(i % 4) as usize],
            (i * 7) % 27
        );
        let id = s
            .insert_service(&service(
                &reference,
                names[(i % 5) as usize],
                "SA",
                Source::Form,
            ))
            .unwrap();
        let state = if i == 3 || i == 20 {
            None
        } else {
            states[(i % 3) as usize]
        };
        if let Some(state) = state {
            // Three services per time of service: ties the id must break.
            let at = t(2 + i / 3, 10);
            s.mark_deposited(id, &format!("dep-{i}"), at).unwrap();
            s.set_delivery_state(id, state, at).unwrap();
        }
        ids.push(id);
    }
    let fold = |v: &str| v.to_lowercase().replace(['é', 'É'], "e").replace('ö', "o");
    let state_rank = |x: &sceau_store::Service| match x.state {
        Some(DeliveryState::AtHome) => 1,
        Some(DeliveryState::InPerson) => 2,
        _ => 0,
    };
    for key in [
        SortKey::Date,
        SortKey::Reference,
        SortKey::Recipient,
        SortKey::State,
    ] {
        for descending in [true, false] {
            let c = SearchCriteria {
                sort: SearchSort { key, descending },
                ..Default::default()
            };
            let got = all_pages(&s, &c);
            assert_eq!(s.search_count(&c).unwrap(), 27);
            let mut expected = got.clone();
            expected.sort_by(|a, b| {
                let primary = match key {
                    SortKey::Date => std::cmp::Ordering::Equal,
                    SortKey::Reference => fold(&a.reference).cmp(&fold(&b.reference)),
                    SortKey::Recipient => fold(&a.recipient_name).cmp(&fold(&b.recipient_name)),
                    SortKey::State => state_rank(a).cmp(&state_rank(b)),
                };
                let o = primary
                    .then(a.served_at.cmp(&b.served_at))
                    .then(a.id.cmp(&b.id));
                if descending {
                    o.reverse()
                } else {
                    o
                }
            });
            let got_ids: Vec<_> = got.iter().map(|x| x.id).collect();
            let expected_ids: Vec<_> = expected.iter().map(|x| x.id).collect();
            assert_eq!(got_ids, expected_ids, "{key:?} descending={descending}");
            let mut unique = got_ids.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), 27, "no row twice, none skipped: {key:?}");
        }
    }
    // The default is the most recent first, ties by the newest id, not deposited last.
    let default = all_pages(&s, &SearchCriteria::default());
    assert_eq!(default[0].id, ids[26]);
    assert_eq!(default[1].id, ids[25]);
    assert!(default[25].served_at.is_none() && default[26].served_at.is_none());
    // Ascending by reference, first page: "ab-…" then "CP-…", case ignored.
    let page = s
        .search(
            &SearchCriteria {
                sort: SearchSort {
                    key: SortKey::Reference,
                    descending: false,
                },
                ..Default::default()
            },
            0,
        )
        .unwrap();
    assert!(page.items[0].reference.starts_with("ab-"));
    assert!(page.has_more);
    // State: awaiting consultation (and not deposited) first when ascending.
    let by_state = all_pages(
        &s,
        &SearchCriteria {
            sort: SearchSort {
                key: SortKey::State,
                descending: false,
            },
            ..Default::default()
        },
    );
    assert!(by_state[..11].iter().all(|x| state_rank(x) == 0));
    assert!(by_state[11..19]
        .iter()
        .all(|x| x.state == Some(DeliveryState::AtHome)));
    // The sort applies with criteria, and the count follows the criteria.
    let c = SearchCriteria {
        recipient: Some("banque".into()),
        sort: SearchSort {
            key: SortKey::Reference,
            descending: true,
        },
        ..Default::default()
    };
    let banks = all_pages(&s, &c);
    assert_eq!(banks.len() as u64, s.search_count(&c).unwrap());
    assert!(banks.len() > 10);
    assert!(banks
        .windows(2)
        .all(|w| fold(&w[0].reference) >= fold(&w[1].reference)));
    assert_eq!(
        s.search_count(&SearchCriteria {
            reference: Some("zz".into()),
            ..Default::default()
        })
        .unwrap(),
        0
    );
}

#[test]
fn outbox_transitions() {
    let f = Fixture::new();
    let mut s = f.open();
    let a = s
        .enqueue_service(
            &service("OB-A", "BANQUE TEST", "SA", Source::Form),
            Path::new("/pkg/a.zip"),
            t(1, 10),
        )
        .unwrap();
    let b = s
        .enqueue_service(
            &service("OB-B", "BANQUE TEST", "SA", Source::Form),
            Path::new("/pkg/b.zip"),
            t(1, 12),
        )
        .unwrap();
    assert_ne!(a.idempotency_key, b.idempotency_key);
    assert_eq!(a.idempotency_key.len(), 32);
    assert_eq!(s.outbox_item_of(a.service_id).unwrap().unwrap().id, a.id);

    // Not due yet.
    assert!(s.claim_next(t(1, 9)).unwrap().is_none());
    let c = s.claim_next(t(1, 11)).unwrap().unwrap();
    assert_eq!(
        (c.id, c.state, c.attempts),
        (a.id, OutboxState::Uploading, 1)
    );
    assert_eq!(c.idempotency_key, a.idempotency_key, "stable key");
    // A claimed item is not claimed twice.
    assert!(s.claim_next(t(1, 11)).unwrap().is_none());
    // Network error: retry later.
    s.fail_upload(a.id, "vault unreachable", Some(t(1, 11)))
        .unwrap();
    let again = s.outbox_item(a.id).unwrap();
    assert_eq!(again.state, OutboxState::Prepared);
    assert_eq!(again.last_error.as_deref(), Some("vault unreachable"));
    let c = s.claim_next(t(1, 14)).unwrap().unwrap();
    assert_eq!((c.id, c.attempts), (a.id, 2), "oldest due first");
    s.complete_upload(a.id, "dep-A", t(1, 14)).unwrap();
    s.complete_upload(a.id, "dep-A", t(1, 14)).unwrap(); // replayed acknowledgement
    let done = s.outbox_item(a.id).unwrap();
    assert_eq!(done.state, OutboxState::Deposited);
    assert_eq!(done.deposit_id.as_deref(), Some("dep-A"));
    let svc = s.service(a.service_id).unwrap();
    assert_eq!(svc.state, Some(DeliveryState::AwaitingConsultation));
    assert_eq!(svc.vault_deposit_id.as_deref(), Some("dep-A"));
    assert_eq!(s.dashboard_counts().unwrap().awaiting_consultation, 1);

    // Invalid transitions are refused with a clear code.
    let e = s.complete_upload(b.id, "dep-B", t(1, 14)).unwrap_err();
    assert_eq!(e.code(), "store.invalid_transition");
    let e = s.cancel(a.id).unwrap_err();
    assert_eq!(e.code(), "store.invalid_transition");

    // Permanent failure, retry, crash recovery, cancel.
    let c = s.claim_next(t(1, 14)).unwrap().unwrap();
    assert_eq!(c.id, b.id);
    s.fail_upload(b.id, "consent withdrawn", None).unwrap();
    assert_eq!(s.outbox_item(b.id).unwrap().state, OutboxState::Failed);
    assert!(
        s.claim_next(t(2, 0)).unwrap().is_none(),
        "failed items wait for the user"
    );
    s.retry_failed(b.id, t(1, 15)).unwrap();
    s.claim_next(t(2, 0)).unwrap().unwrap();
    assert_eq!(s.recover_interrupted().unwrap(), 1);
    assert_eq!(s.outbox_item(b.id).unwrap().state, OutboxState::Prepared);
    assert_eq!(s.outbox_list(Some(OutboxState::Prepared)).unwrap().len(), 1);
    assert_eq!(s.outbox_count(OutboxState::Prepared).unwrap(), 1);
    assert_eq!(s.outbox_count(OutboxState::Uploading).unwrap(), 0);
    assert_eq!(s.outbox_list(None).unwrap().len(), 2);
    let sid = s.cancel(b.id).unwrap();
    assert_eq!(s.service(sid).unwrap_err().code(), "store.not_found");
    assert_eq!(s.outbox_list(None).unwrap().len(), 1);
}

#[test]
fn recipients_consents_session_log_and_settings() {
    let f = Fixture::new();
    let mut s = f.open();
    let bank = Recipient {
        id: "r-bank".into(),
        kind: sceau_proto::RecipientKind::Bank,
        name: "BANQUE TEST".into(),
        siret: Some("35600000000048".into()),
        siren: Some("356000000".into()),
        nir: None,
        email: Some("actes@banque.test".into()),
        phone_fixed: Some("+33140000000".into()),
        phone_mobile: None,
        region: None,
        updated_at: t(1, 8),
    };
    let person = Recipient {
        id: "r-p".into(),
        kind: sceau_proto::RecipientKind::Person,
        name: "Élodie Martin".into(),
        siret: None,
        siren: None,
        nir: Some("285057800608489".into()),
        email: None,
        // Fixed and mobile kept apart: the cache gives back the vault's card whole.
        phone_fixed: Some("+33100000001".into()),
        phone_mobile: Some("+33600000002".into()),
        // The place comes back as the vault gave it (a Martinique person).
        region: Some(sceau_core::region::Region::from_code("972").unwrap()),
        updated_at: t(1, 8),
    };
    s.upsert_recipient(&bank).unwrap();
    s.upsert_recipient(&person).unwrap();
    assert_eq!(s.recipient("r-p").unwrap().unwrap(), person);
    assert_eq!(s.recipient("r-bank").unwrap().unwrap(), bank);
    let names = |q: &str| -> Vec<String> {
        s.search_recipients(q, 10)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(names("356 000 000 00048"), ["r-bank"]);
    assert_eq!(names("285057800608489"), ["r-p"]);
    assert_eq!(names("elo"), ["r-p"]);
    assert_eq!(names("banque"), ["r-bank"]);
    let renamed = Recipient {
        name: "BANQUE TEST SA".into(),
        ..bank.clone()
    };
    s.upsert_recipient(&renamed).unwrap();
    assert_eq!(
        s.recipient("r-bank").unwrap().unwrap().name,
        "BANQUE TEST SA"
    );

    // Consents: the core's type, as the register gives them. Never fetched = unknown.
    assert_eq!(s.consents("r-bank").unwrap(), None);
    assert_eq!(s.consent_status("r-bank", "SA", t(5, 0)).unwrap(), None);
    let consents = vec![
        Consent {
            id: "CNCJ-1".into(),
            recipient_id: "r-bank".into(),
            natures: vec!["SA".into()],
            given_at: t(1, 0),
            expires_at: None,
            revoked_at: Some(t(8, 0)),
            how: "convention".into(),
        },
        Consent {
            id: "CNCJ-2".into(),
            recipient_id: "r-bank".into(),
            natures: vec!["CP".into(), "SA".into()],
            given_at: t(1, 0),
            expires_at: Some(t(10, 0)),
            revoked_at: None,
            how: "portail".into(),
        },
    ];
    s.replace_consents("r-bank", &consents, t(2, 0)).unwrap();
    let (cached, fetched) = s.consents("r-bank").unwrap().unwrap();
    assert_eq!((cached, fetched), (consents.clone(), t(2, 0)));
    use sceau_core::consent::ConsentStatus as CS;
    let status = |s: &Store, n: &str, at| s.consent_status("r-bank", n, at).unwrap();
    assert_eq!(status(&s, "CP", t(5, 0)), Some(CS::InForce));
    // Past CNCJ-2's end the most telling reason is given (CNCJ-1 was revoked by then).
    assert_eq!(status(&s, "CP", t(11, 0)), Some(CS::Revoked));
    assert_eq!(status(&s, "XX", t(5, 0)), Some(CS::NatureNotCovered));
    assert_eq!(status(&s, "SA", t(9, 0)), Some(CS::InForce));
    s.replace_consents("r-bank", &consents[..1], t(3, 0))
        .unwrap();
    assert_eq!(status(&s, "SA", t(9, 0)), Some(CS::Revoked));
    s.replace_consents("r-bank", &consents[1..], t(3, 0))
        .unwrap();
    assert_eq!(status(&s, "CP", t(11, 0)), Some(CS::Expired));
    // Fetched and empty: known to have no consent.
    s.replace_consents("r-p", &[], t(3, 0)).unwrap();
    assert_eq!(
        s.consent_status("r-p", "SA", t(5, 0)).unwrap(),
        Some(CS::Missing)
    );
    assert_eq!(
        s.replace_consents("nobody", &[], t(3, 0))
            .unwrap_err()
            .code(),
        "store.not_found"
    );

    let session = s.start_session().unwrap();
    s.log_action(&session, "Signification", "REF-1").unwrap();
    let other = s.start_session().unwrap();
    let log = s.session_log(&session).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].action, "Connexion");
    assert_eq!(log[1].detail, "REF-1");
    assert_eq!(s.session_log(&other).unwrap().len(), 1);

    assert_eq!(s.setting("vault.url").unwrap(), None);
    s.set_setting("vault.url", "https://a").unwrap();
    s.set_setting("vault.url", "https://b").unwrap();
    assert_eq!(
        s.setting("vault.url").unwrap().as_deref(),
        Some("https://b")
    );
    assert!(s.remove_setting("vault.url").unwrap());
    assert!(!s.remove_setting("vault.url").unwrap());
}

#[cfg(target_os = "linux")]
#[test]
fn os_credential_store_keeps_the_key_in_kernel_keyutils() {
    // A session keyring of our own (headless test machines have none); keys live in memory.
    sceau_store::join_session_keyring().unwrap();
    let account = format!("test-{}", std::process::id());
    let keys =
        sceau_store::OsKeyStore::new(sceau_store::KeyBackend::KernelKeyutils, &account).unwrap();
    assert!(keys.load().unwrap().is_none());
    let f = Fixture::new();
    let id = {
        let mut s = Store::open(f.db(), &keys).unwrap();
        s.insert_service(&service("KR-1", "BANQUE TEST", "SA", Source::Form))
            .unwrap()
    };
    let stored = keys.load().unwrap().expect("key kept in the keyring");
    assert_eq!(stored.as_bytes().len(), 32);
    let s = Store::open(f.db(), &keys).unwrap();
    assert_eq!(s.service(id).unwrap().reference, "KR-1");
    // Another account has no key: the existing database is refused, not recreated.
    let other = sceau_store::OsKeyStore::new(
        sceau_store::KeyBackend::KernelKeyutils,
        &format!("{account}-other"),
    )
    .unwrap();
    assert_eq!(
        Store::open(f.db(), &other).unwrap_err().code(),
        "store.key_missing"
    );
}

#[test]
fn broad_prefixes_walk_the_date_order_and_give_the_same_answers() {
    let f = Fixture::new();
    let mut s = f.open();
    // 2,100 services for one recipient prefix: above the "broad" threshold of the search.
    s.batch(|b| {
        for i in 0..2100u32 {
            let name = if i % 3 == 0 {
                "BANQUE NORD"
            } else {
                "BANQUE SUD"
            };
            let id = b.insert_service(&service(&format!("BR-{i:05}"), name, "SA", Source::Edi))?;
            b.mark_deposited(
                id,
                &format!("dep-{i}"),
                t(1, 0) + Duration::minutes(i.into()),
            )?;
        }
        Ok(())
    })
    .unwrap();
    let page = |c: SearchCriteria, n: usize| -> Vec<String> {
        s.search(&c, n)
            .unwrap()
            .items
            .into_iter()
            .map(|x| x.reference)
            .collect()
    };
    // Broad recipient prefix: the most recent ten, then the next ten.
    let c = SearchCriteria {
        recipient: Some("banque".into()),
        ..Default::default()
    };
    let expect: Vec<String> = (2090..2100).rev().map(|i| format!("BR-{i:05}")).collect();
    assert_eq!(page(c.clone(), 0), expect);
    let expect: Vec<String> = (2080..2090).rev().map(|i| format!("BR-{i:05}")).collect();
    assert_eq!(page(c, 1), expect);
    // Broad document-name prefix, combined with a narrower recipient.
    let c = SearchCriteria {
        document_name: Some("9991_BR-".into()),
        recipient: Some("banque nord".into()),
        ..Default::default()
    };
    let expect: Vec<String> = (0..2100u32)
        .rev()
        .filter(|i| i % 3 == 0)
        .take(10)
        .map(|i| format!("BR-{i:05}"))
        .collect();
    assert_eq!(page(c, 0), expect);
    // A broad reference prefix.
    let c = SearchCriteria {
        reference: Some("br-0".into()),
        ..Default::default()
    };
    assert_eq!(page(c, 0)[0], "BR-02099");
}

#[test]
fn a_failed_batch_changes_nothing() {
    let f = Fixture::new();
    let mut s = f.open();
    let err = s
        .batch(|b| {
            let id = b.insert_service(&service("BT-1", "X", "SA", Source::Form))?;
            b.mark_deposited(id, "dep-bt", t(1, 0))?;
            b.mark_deposited(sceau_store::ServiceId(12345), "dep-missing", t(1, 0))
        })
        .unwrap_err();
    assert_eq!(err.code(), "store.not_found");
    assert!(s.service_by_reference("BT-1").unwrap().is_none());
    assert_eq!(s.dashboard_counts().unwrap().awaiting_consultation, 0);
}
