//! The same storage suite against the four real backends: SQLite, PostgreSQL (started in a temp
//! dir), files, and S3 (moto on loopback).
#![allow(clippy::unwrap_used, missing_docs)]

use chrono::{TimeZone, Utc};
use sceau_core::consent::ConsentStatus;
use sceau_proto::{RecipientKind, VaultEntry};
use sceau_testsupport::postgres::PgServer;
use sceau_testsupport::s3::MotoServer;
use sceau_vault::register;
use sceau_vault::store::blobs::{sha256_hex, Blobs, FileBlobs, S3Blobs, S3Config};
use sceau_vault::store::meta::{self, RecipientQuery, RecipientRow};
use sceau_vault::store::sql::{read_tx, tx, Dialect, Metadata, PgMeta, SqliteMeta};

fn metadata_suite(m: &dyn Metadata) {
    tx(m, |sql| meta::migrate(sql)).unwrap();
    // Migrations are idempotent.
    tx(m, |sql| meta::migrate(sql)).unwrap();
    let r = RecipientRow {
        id: "r1".into(),
        kind: RecipientKind::Bank,
        name: "Banque Générale d'Épargne".into(),
        siret: Some("73282932000074".into()),
        siren: Some("732829320".into()),
        nir: None,
        email: Some("svc@banque.test".into()),
        phone_fixed: None,
        phone_mobile: None,
    };
    tx(m, |sql| meta::upsert_recipient(sql, &r)).unwrap();
    let found = tx(m, |sql| {
        meta::search_recipients(sql, &RecipientQuery::Name("banque gene".into()), 10)
    })
    .unwrap();
    assert_eq!(found.len(), 1);
    let found = tx(m, |sql| {
        meta::search_recipients(sql, &RecipientQuery::Name("BANQUE GÉNÉ".into()), 10)
    })
    .unwrap();
    assert_eq!(found.len(), 1, "accent- and case-insensitive");
    let none = tx(m, |sql| {
        meta::search_recipients(sql, &RecipientQuery::Name("generale".into()), 10)
    })
    .unwrap();
    assert!(none.is_empty(), "prefix only");
    let by_siren = tx(m, |sql| {
        meta::search_recipients(sql, &RecipientQuery::Siren("732829320".into()), 10)
    })
    .unwrap();
    assert_eq!(by_siren[0].id, "r1");

    // A failed transaction leaves nothing behind.
    let err = m.transaction(&mut |sql| {
        meta::upsert_recipient(
            sql,
            &RecipientRow {
                id: "r2".into(),
                ..r.clone()
            },
        )?;
        Err(sceau_vault::Error::NotFound)
    });
    assert!(err.is_err());
    assert!(tx(m, |sql| meta::recipient(sql, "r2")).unwrap().is_none());

    // The register: instants, journaled changes, the core's rule.
    let given = Utc.with_ymd_and_hms(2026, 1, 1, 14, 0, 0).unwrap();
    let catalogue = sceau_core::natures::Catalogue::shipped().unwrap();
    let new = |natures: Vec<String>, given_at| register::NewConsent {
        recipient_id: "r1",
        natures,
        given_at,
        expires_at: None,
        how: "convention",
        by: "operateur",
        office_id: None,
        evidence: Vec::new(),
    };
    let sa = || vec!["SAISIE_ATTRIBUTION".to_owned()];
    let in_force = |nature: &str, at| {
        tx(m, |sql| register::in_force(sql, "r1", nature, at))
            .unwrap()
            .map(|c| c.id)
    };
    // Not in the future, not without a nature.
    let refused = tx(m, |sql| {
        register::give(
            sql,
            catalogue,
            new(sa(), given),
            given - chrono::Duration::seconds(1),
        )
    });
    assert_eq!(refused.unwrap_err().code(), "consent_given_in_future");
    let refused = tx(m, |sql| {
        register::give(sql, catalogue, new(vec![], given), given)
    });
    assert_eq!(refused.unwrap_err().code(), "consent_no_nature");
    let head = tx(m, meta::journal_head)
        .unwrap()
        .map(|h| h.seq)
        .unwrap_or(0);
    let c = tx(m, |sql| {
        register::give(sql, catalogue, new(sa(), given), given)
    })
    .unwrap();
    assert_eq!(
        in_force("SAISIE_ATTRIBUTION", given).as_deref(),
        Ok(c.id.as_str())
    );
    // An hour before it was given, the same day: not yet.
    assert_eq!(
        in_force("SAISIE_ATTRIBUTION", given - chrono::Duration::hours(1)),
        Err(ConsentStatus::NotYetGiven)
    );
    assert_eq!(
        in_force("COMMANDEMENT_DE_PAYER", given),
        Err(ConsentStatus::NatureNotCovered)
    );
    let revoked_at = given + chrono::Duration::days(60);
    let r = tx(m, |sql| {
        register::revoke(sql, &c.id, revoked_at, "operateur", "test")
    })
    .unwrap();
    assert_eq!(r.revoked_at, Some(revoked_at));
    assert_eq!(
        in_force(
            "SAISIE_ATTRIBUTION",
            revoked_at - chrono::Duration::microseconds(1)
        )
        .as_deref(),
        Ok(c.id.as_str())
    );
    assert_eq!(
        in_force("SAISIE_ATTRIBUTION", revoked_at),
        Err(ConsentStatus::Revoked)
    );
    let again = tx(m, |sql| {
        register::revoke(sql, &c.id, revoked_at, "operateur", "test")
    });
    assert_eq!(again.unwrap_err().code(), "consent_already_revoked");
    // Both changes are in the journal, with the consent's id and the entry's digest.
    let lines = tx(m, |sql| meta::deposit_journal(sql, &c.id)).unwrap();
    let events: Vec<String> = lines.iter().map(|l| l.event.clone()).collect();
    assert_eq!(events, ["sceau:ConsentGiven", "sceau:ConsentRevoked"]);
    assert!(lines.iter().all(|l| l.seq > head));
    let record = sceau_vault::journal::decode_record(&lines[0].record).unwrap();
    assert_eq!(record.digests[0].0, register::ENTRY_DIGEST_NAME);
    assert_eq!((record.recipient.as_str(), record.at), ("r1", given));
    // A consent kept as days by an earlier version (every nature, through its last day) reads
    // as what those days meant once migrated.
    tx(m, |sql| {
        sql.exec(
            "INSERT INTO consents (id, recipient_id, natures, given_on, expires_on, how, \
             revoked_on) VALUES ('old', 'r1', '[]', '2026-03-02', '2026-03-10', 'convention', NULL)",
            &[],
        )
    })
    .unwrap();
    tx(m, |sql| meta::migrate(sql)).unwrap();
    let (old, _) = tx(m, |sql| meta::consent(sql, "old")).unwrap().unwrap();
    assert_eq!(old.natures.len(), catalogue.natures.len());
    let paris = |y, mo, d, h, mi| {
        sceau_core::PARIS
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    assert_eq!(old.given_at, paris(2026, 3, 2, 0, 0));
    // 23:59 on the last day (Paris) is covered; midnight after is not.
    assert_eq!(
        old.status("SAISIE_VENTE", paris(2026, 3, 10, 23, 59)),
        ConsentStatus::InForce
    );
    assert_eq!(
        old.status("SAISIE_VENTE", paris(2026, 3, 11, 0, 0)),
        ConsentStatus::Expired
    );

    let t = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
    let e = |path: &str, folder: bool, size: u64| VaultEntry {
        path: path.into(),
        is_folder: folder,
        size,
        modified: t,
        sha256: None,
        retained_until: None,
        deposit_id: None,
        description: None,
    };
    tx(m, |sql| {
        meta::insert_entry(sql, "o1", &e("Archives", true, 0))
    })
    .unwrap();
    tx(m, |sql| {
        meta::insert_entry(sql, "o1", &e("Archives/a.zip", false, 100))
    })
    .unwrap();
    tx(m, |sql| {
        meta::insert_entry(sql, "o2", &e("b.zip", false, 7))
    })
    .unwrap();
    let dup = tx(m, |sql| {
        meta::insert_entry(sql, "o1", &e("Archives", true, 0))
    });
    assert!(matches!(dup, Err(sceau_vault::Error::PathExists)));
    let root = tx(m, |sql| meta::list_entries(sql, "o1", "")).unwrap();
    assert_eq!(root.len(), 1);
    assert_eq!(root[0].path, "Archives");
    let sub = tx(m, |sql| meta::list_entries(sql, "o1", "Archives")).unwrap();
    assert_eq!(sub[0].path, "Archives/a.zip");
    assert_eq!(tx(m, |sql| meta::space_used(sql, "o1")).unwrap(), 100);
    // LIKE wildcards in names match only themselves.
    for (p, folder) in [
        ("A_B", true),
        ("AxB", true),
        ("A_B/x.pdf", false),
        ("AxB/y.pdf", false),
    ] {
        tx(m, |sql| meta::insert_entry(sql, "o3", &e(p, folder, 1))).unwrap();
    }
    let under = tx(m, |sql| meta::list_entries(sql, "o3", "A_B")).unwrap();
    assert_eq!(
        under.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
        ["A_B/x.pdf"]
    );
    let sub = tx(m, |sql| meta::subtree(sql, "o3", "A_B")).unwrap();
    assert_eq!(sub.len(), 2);
    assert!(sub.iter().all(|e| e.path.starts_with("A_B")));
    assert_eq!(tx(m, |sql| meta::space_used(sql, "o2")).unwrap(), 7);
    // Reads see what was committed; on SQLite they run on a connection that cannot write.
    assert_eq!(read_tx(m, |sql| meta::space_used(sql, "o2")).unwrap(), 7);
    tx(m, |sql| {
        meta::insert_entry(sql, "o2", &e("late.pdf", false, 5))
    })
    .unwrap();
    assert_eq!(read_tx(m, |sql| meta::space_used(sql, "o2")).unwrap(), 12);
    if m.dialect() == Dialect::Sqlite {
        assert!(read_tx(m, |sql| meta::insert_entry(
            sql,
            "o2",
            &e("no.pdf", false, 1)
        ))
        .is_err());
        assert_eq!(read_tx(m, |sql| meta::space_used(sql, "o2")).unwrap(), 12);
    }
}

async fn blob_suite(b: &dyn Blobs) {
    let data = b"acte signifie".to_vec();
    let name = b.put(data.clone()).await.unwrap();
    assert_eq!(name, sha256_hex(&data));
    assert_eq!(b.put(data.clone()).await.unwrap(), name, "idempotent");
    assert_eq!(b.get(&name).await.unwrap().unwrap(), data);
    assert!(b.get(&sha256_hex(b"other")).await.unwrap().is_none());
    assert!(b.get("../../etc/passwd").await.unwrap().is_none());
    let big = vec![7u8; 3 * 1024 * 1024];
    let n = b.put(big.clone()).await.unwrap();
    assert_eq!(b.get(&n).await.unwrap().unwrap().len(), big.len());
    // A name given by the caller (already hashed), and deletion (the garbage collector's).
    let other = b"un autre acte".to_vec();
    let named = sha256_hex(&other);
    b.put_named(&named, other.clone()).await.unwrap();
    assert_eq!(b.get(&named).await.unwrap().unwrap(), other);
    assert!(b.put_named("../x", other).await.is_err());
    assert!(b.delete(&named).await.unwrap());
    assert!(b.get(&named).await.unwrap().is_none());
    assert!(!b.delete(&named).await.unwrap(), "already gone");
    assert!(!b.delete("../../etc/passwd").await.unwrap());
    assert_eq!(
        b.get(&name).await.unwrap().unwrap(),
        data,
        "others untouched"
    );
    b.clean_temporary().await.unwrap();
    assert_eq!(b.get(&n).await.unwrap().unwrap().len(), big.len());
}

#[test]
fn sqlite_metadata() {
    let dir = tempfile::tempdir().unwrap();
    metadata_suite(&SqliteMeta::open(&dir.path().join("v.db")).unwrap());
}

#[test]
fn postgres_metadata() {
    let pg = PgServer::start().unwrap();
    let url = pg.create_database("vault").unwrap();
    let m = PgMeta::connect(&url).unwrap();
    metadata_suite(&m);
}

#[tokio::test]
async fn file_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let b = FileBlobs::new(dir.path()).unwrap();
    blob_suite(&b).await;
    // Nothing is left under a temporary name.
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
}

#[tokio::test]
async fn s3_blobs() {
    let moto = MotoServer::start().unwrap();
    moto.create_bucket("vault").unwrap();
    let b = S3Blobs::new(&S3Config {
        endpoint: moto.endpoint(),
        bucket: "vault".into(),
        region: "us-east-1".into(),
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
    })
    .unwrap();
    blob_suite(&b).await;
}

/// Journal lines appended by two writers at once (the server and an operator command are two
/// processes with their own connections): every append succeeds, and the chain has no fork and
/// no gap — SQLite by its `IMMEDIATE` transactions, PostgreSQL by the advisory lock that
/// `journal::append` takes.
fn concurrent_appends(open: impl Fn() -> Box<dyn Metadata> + Sync) {
    use sceau_core::evidence::EvidenceEvent;
    let per_writer = 40;
    std::thread::scope(|s| {
        for w in 0..2 {
            let m = open();
            s.spawn(move || {
                for i in 0..per_writer {
                    let record = sceau_vault::journal::record(
                        EvidenceEvent::SubmissionAcceptance,
                        Utc::now(),
                        &format!("writer {w}"),
                        "r",
                        &format!("d-{w}-{i}"),
                        vec![],
                        None,
                    );
                    tx(m.as_ref(), |sql| {
                        sceau_vault::journal::append(
                            sql,
                            &[sceau_vault::journal::Entry {
                                record: record.clone(),
                                office_id: None,
                                message: "test".into(),
                            }],
                        )
                    })
                    .unwrap();
                }
            });
        }
    });
    let m = open();
    let seqs: Vec<i64> = tx(m.as_ref(), |sql| {
        Ok(sql
            .query("SELECT seq FROM journal ORDER BY seq", &[])?
            .iter()
            .map(|r| r[0].int())
            .collect())
    })
    .unwrap();
    assert_eq!(seqs, (1..=2 * per_writer).collect::<Vec<i64>>());
    assert!(matches!(
        sceau_vault::journal::verify(m.as_ref()).unwrap(),
        sceau_vault::journal::Verification::Intact { count } if count == 2 * per_writer as u64
    ));
}

#[test]
fn concurrent_journal_appends_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    tx(&SqliteMeta::open(&path).unwrap(), meta::migrate).unwrap();
    concurrent_appends(|| Box::new(SqliteMeta::open(&path).unwrap()));
}

#[test]
fn concurrent_journal_appends_on_postgres() {
    let pg = PgServer::start().unwrap();
    let url = pg.create_database("vault").unwrap();
    tx(&PgMeta::connect(&url).unwrap(), meta::migrate).unwrap();
    concurrent_appends(|| Box::new(PgMeta::connect(&url).unwrap()));
}

/// 200 wrong codes judged at once by `portal::judge_code` (what `POST /portail/acces/{token}`
/// runs), each in its own transaction on its own thread, released together: exactly `max` are
/// counted (`max - 1` answered "wrong", the one reaching the limit "locked"), the count stored
/// is `max`, and the right code is then refused.
fn parallel_code_tries(m: &dyn Metadata) {
    use sceau_vault::portal::{judge_code, CodeOutcome};
    tx(m, meta::migrate).unwrap();
    let now = Utc::now();
    let expires = now + chrono::Duration::minutes(10);
    tx(m, |sql| meta::set_code(sql, "lien", "bon", expires)).unwrap();
    let max = 4i64;
    let tries = 200;
    let barrier = std::sync::Barrier::new(tries);
    let verdicts: Vec<CodeOutcome> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..tries)
            .map(|_| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    tx(m, |sql| judge_code(sql, "lien", "mauvais", max, now)).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wrong = verdicts
        .iter()
        .filter(|v| matches!(v, CodeOutcome::Wrong(_)))
        .count();
    let locked = verdicts
        .iter()
        .filter(|v| **v == CodeOutcome::Locked)
        .count();
    assert_eq!(wrong, 3, "{verdicts:?}");
    assert_eq!(locked, tries - 3);
    let mut left: Vec<i64> = verdicts
        .iter()
        .filter_map(|v| match v {
            CodeOutcome::Wrong(n) => Some(*n),
            _ => None,
        })
        .collect();
    left.sort_unstable();
    assert_eq!(left, [1, 2, 3]);
    let state = tx(m, |sql| meta::code_state(sql, "lien")).unwrap().unwrap();
    assert_eq!(state.attempts, max);
    assert_eq!(
        tx(m, |sql| judge_code(sql, "lien", "bon", max, now)).unwrap(),
        CodeOutcome::Locked
    );
}

#[test]
fn code_lock_out_is_atomic_under_200_parallel_tries_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    parallel_code_tries(&SqliteMeta::open(&dir.path().join("v.db")).unwrap());
}

#[test]
fn code_lock_out_is_atomic_under_200_parallel_tries_on_postgres() {
    let pg = PgServer::start().unwrap();
    let url = pg.create_database("vault").unwrap();
    let m = PgMeta::connect_bounded(&url, 32).unwrap();
    parallel_code_tries(&m);
    // The pool never opened more connections than its bound.
    assert!(m.open_connections() <= 32, "{}", m.open_connections());
}

#[test]
fn postgres_pool_is_bounded_and_waits_for_a_free_connection() {
    let pg = PgServer::start().unwrap();
    let url = pg.create_database("vault").unwrap();
    let m = PgMeta::connect_bounded(&url, 3).unwrap();
    let count = |m: &PgMeta| -> i64 {
        tx(m, |sql| {
            Ok(sql
                .query(
                    "SELECT count(*)::BIGINT FROM pg_stat_activity WHERE datname = current_database()",
                    &[],
                )?
                .first()
                .map_or(0, |r| r[0].int()))
        })
        .unwrap()
    };
    // 40 transactions at once, each holding its connection a while: at most 3 are open.
    let peak = std::sync::atomic::AtomicI64::new(0);
    std::thread::scope(|s| {
        for _ in 0..40 {
            s.spawn(|| {
                tx(&m, |sql| {
                    let n = sql
                        .query(
                            "SELECT count(*)::BIGINT FROM pg_stat_activity \
                             WHERE datname = current_database()",
                            &[],
                        )?
                        .first()
                        .map_or(0, |r| r[0].int());
                    peak.fetch_max(n, std::sync::atomic::Ordering::SeqCst);
                    sql.query("SELECT pg_sleep(0.02)::TEXT", &[])?;
                    Ok(())
                })
                .unwrap();
            });
        }
    });
    assert!(m.open_connections() <= 3);
    let peak = peak.load(std::sync::atomic::Ordering::SeqCst);
    assert!((1..=3).contains(&peak), "{peak} connections seen at once");
    assert!(count(&m) <= 3);
}
