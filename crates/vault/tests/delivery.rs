//! Delivery state with an injected clock (no sleeping): same-day rule at 23:59 vs 00:01 Paris,
//! across daylight-saving changes, the 24-hour rule, a Saturday and a public holiday for the
//! plain letter, and a vault down across the deadline that catches up when it opens again.
//! Every `<act>_REMISE.pdf` passes Apache PDFBox Preflight and every seal verifies with
//! `openssl cms -verify` against the vault CA.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use sceau_proto::{Office, RecipientKind};
use sceau_testsupport::pki::{KeySpec, TestCa};
use sceau_vault::config::{Config, DeliveryRuleConfig, FixedClock};
use sceau_vault::delivery::{self, Channel};
use sceau_vault::store::meta::{self, DepositRow, OfficeRow, RecipientRow};
use sceau_vault::store::sql::tx;
use sceau_vault::{SceauPdfa, Vault};

fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    sceau_core::PARIS
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

struct Setup {
    _dir: tempfile::TempDir,
    config: Config,
    out: PathBuf,
    ca_pem: PathBuf,
}

fn setup(rule: DeliveryRuleConfig) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("AC test", KeySpec::EcP256).unwrap();
    let (ca_pem, _) = ca.identity.write_pem(dir.path(), "client-ca").unwrap();
    let data = dir.path().join("data");
    let cfg = sceau_vault::init(&data, "127.0.0.1:0", &["127.0.0.1".into()], vec![ca_pem]).unwrap();
    let mut config = Config::load(&cfg).unwrap();
    config.delivery_rule = rule;
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    Setup {
        ca_pem: data.join(sceau_vault::keys::files::CA_CERT),
        _dir: dir,
        config,
        out,
    }
}

async fn open(s: &Setup, now: DateTime<Utc>) -> (Arc<Vault>, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(now));
    let vault = Vault::open(s.config.clone(), clock.clone(), Arc::new(SceauPdfa))
        .await
        .unwrap();
    (vault, clock)
}

/// A deposit recorded as the deposit route records it, at `at` (the office and recipient are
/// created on first use).
fn deposit(vault: &Vault, reference: &str, at: DateTime<Utc>) -> DepositRow {
    deposit_in(vault, reference, at, None)
}

/// [`deposit`] accepted under the governing place `region`.
fn deposit_in(
    vault: &Vault,
    reference: &str,
    at: DateTime<Utc>,
    region: Option<&str>,
) -> DepositRow {
    let row = DepositRow {
        id: uuid::Uuid::new_v4().to_string(),
        office_id: "office-9991".into(),
        idem_key: uuid::Uuid::new_v4().to_string(),
        content_sha256: "00".repeat(32),
        recipient_id: "banque-test".into(),
        recipient_name: "BANQUE TEST".into(),
        nature: "SAISIE_ATTRIBUTION".into(),
        reference: reference.into(),
        source: "form".into(),
        state: "awaiting_consultation".into(),
        deposited_at: at,
        files: vec![format!("9991_{reference}_20260601_100000.pdf")],
        receipt: "{}".into(),
        region: region.map(|c| c.parse().unwrap()),
    };
    let r = row.clone();
    tx(vault.meta.as_ref(), move |sql| {
        if meta::office_by_number(sql, "9991")?.is_none() {
            meta::insert_office(
                sql,
                &OfficeRow {
                    office: Office {
                        id: "office-9991".into(),
                        number: "9991".into(),
                        name: "Etude 9991".into(),
                    },
                    holder: "CN=Test".into(),
                },
                at,
            )?;
            meta::upsert_recipient(
                sql,
                &RecipientRow {
                    id: "banque-test".into(),
                    kind: RecipientKind::Bank,
                    name: "BANQUE TEST".into(),
                    siret: None,
                    siren: None,
                    nir: None,
                    email: None,
                    phone_fixed: None,
                    phone_mobile: None,
                },
            )?;
        }
        meta::insert_deposit(sql, &r)?;
        meta::insert_recipient_file(sql, &r.recipient_id, &r.id, &r.files[0], "00", 0)
    })
    .unwrap();
    row
}

fn state(vault: &Vault, id: &str) -> String {
    let id = id.to_owned();
    tx(vault.meta.as_ref(), move |sql| meta::deposit_any(sql, &id))
        .unwrap()
        .unwrap()
        .state
}

fn pdftotext(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-q", "-enc", "UTF-8", "-layout"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The deposit's notice: checks the office-vault entries, the seal with openssl, and returns
/// the PDF's path (for Preflight) and text.
async fn notice(s: &Setup, vault: &Vault, d: &DepositRow) -> (PathBuf, String) {
    let id = d.id.clone();
    let n = tx(vault.meta.as_ref(), move |sql| meta::notice(sql, &id))
        .unwrap()
        .expect("a delivery notice");
    assert_eq!(
        n.name,
        sceau_core::naming::delivery_notice_name(&d.files[0])
    );
    assert!(n.path.starts_with("Significations/") && n.path.ends_with("_REMISE.pdf"));
    let (office, path, seal_path) = (
        d.office_id.clone(),
        n.path.clone(),
        format!("{}.p7s", n.path),
    );
    let (e, se) = tx(vault.meta.as_ref(), move |sql| {
        Ok((
            meta::entry(sql, &office, &path)?,
            meta::entry(sql, &office, &seal_path)?,
        ))
    })
    .unwrap();
    let (e, se) = (e.unwrap(), se.unwrap());
    assert_eq!(e.deposit_id.as_deref(), Some(d.id.as_str()));
    let pdf = vault
        .blobs
        .get(e.sha256.as_ref().unwrap())
        .await
        .unwrap()
        .unwrap();
    let seal = vault
        .blobs
        .get(se.sha256.as_ref().unwrap())
        .await
        .unwrap()
        .unwrap();
    let pdf_path = s.out.join(&n.name);
    let seal_file = s.out.join(format!("{}.p7s", n.name));
    std::fs::write(&pdf_path, &pdf).unwrap();
    std::fs::write(&seal_file, &seal).unwrap();
    let (ok, out) =
        sceau_testsupport::oracle::openssl_cms_verify(&seal_file, &pdf_path, &s.ca_pem, false);
    assert!(ok, "openssl cms -verify: {out}");
    // A changed byte must break the seal (the oracle can say no).
    let mut bad = pdf.clone();
    let last = bad.len() - 10;
    bad[last] ^= 1;
    let bad_path = s.out.join("altered.pdf");
    std::fs::write(&bad_path, &bad).unwrap();
    assert!(
        !sceau_testsupport::oracle::openssl_cms_verify(&seal_file, &bad_path, &s.ca_pem, false).0
    );
    let text = pdftotext(&pdf_path);
    (pdf_path, text)
}

fn preflight(files: &[PathBuf]) {
    let report = sceau_testsupport::pdfcorpus::preflight(files).unwrap();
    for (name, r) in &report {
        assert!(r.valid, "{name}: Preflight errors {:?}", r.errors);
    }
}

fn journal_events(vault: &Vault, id: &str) -> Vec<String> {
    let id = id.to_owned();
    tx(vault.meta.as_ref(), move |sql| {
        meta::deposit_journal(sql, &id)
    })
    .unwrap()
    .into_iter()
    .map(|j| j.event)
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_day_rule_at_2359_vs_0001_paris() {
    let s = setup(DeliveryRuleConfig::SameDay);
    let sent = paris(2026, 6, 2, 10, 0);
    let (vault, clock) = open(&s, sent).await;
    let a = deposit(&vault, "A", sent);
    let b = deposit(&vault, "B", sent);

    // A is read at 23:59: in person, decided at once.
    clock.set(paris(2026, 6, 2, 23, 59));
    delivery::record_consultation(&vault, &a, Channel::Portal)
        .await
        .unwrap();
    delivery::settled(&vault).await;
    assert_eq!(state(&vault, &a.id), "in_person");
    assert_eq!(state(&vault, &b.id), "awaiting_consultation");
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 0);

    // Midnight passes: B is "à domicile"; reading it at 00:01 changes nothing.
    clock.set(paris(2026, 6, 3, 0, 1));
    delivery::record_consultation(&vault, &b, Channel::Portal)
        .await
        .unwrap();
    delivery::settled(&vault).await;
    assert_eq!(state(&vault, &b.id), "awaiting_consultation");
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 1);
    assert_eq!(state(&vault, &b.id), "at_home");
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 0);

    let (pa, ta) = notice(&s, &vault, &a).await;
    assert!(ta.contains("Attestation de remise à personne"), "{ta}");
    assert!(ta.contains("02/06/2026 23:59:00"), "{ta}");
    assert!(ta.contains("02/06/2026 10:00:00"), "{ta}");
    assert!(ta.contains("article 662-1"), "{ta}");
    assert!(!ta.contains("Lettre simple"), "{ta}");
    let (pb, tb) = notice(&s, &vault, &b).await;
    assert!(tb.contains("Attestation de remise à domicile"), "{tb}");
    assert!(tb.contains("03/06/2026 00:00:00"), "deadline stated: {tb}");
    assert!(
        tb.contains("03/06/2026 00:01:00"),
        "late reading stated: {tb}"
    );
    // Sent on Tuesday 2 June: the letter is due on Wednesday 3 June, in 662-1's words ("le
    // premier jour ouvrable", not 658's "au plus tard").
    assert!(tb.contains("03/06/2026 (premier jour ouvrable"), "{tb}");
    assert!(
        tb.contains("le 03/06/2026") && !tb.contains("au plus tard"),
        "{tb}"
    );
    assert!(tb.contains("article 662-1"), "{tb}");
    assert_eq!(
        journal_events(&vault, &a.id),
        [
            "ContentHandover",
            "sceau:DeliveredInPerson",
            "sceau:DeliveryNoticeFiled"
        ]
    );
    assert_eq!(
        journal_events(&vault, &b.id),
        [
            "ContentHandover",
            "sceau:DeliveredAtHome",
            "sceau:DeliveryNoticeFiled"
        ]
    );
    preflight(&[pa, pb]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hours_24_rule_across_the_spring_dst_change() {
    let s = setup(DeliveryRuleConfig::Within24Hours);
    // Saturday 28 March 2026, 12:00 CET; clocks go forward on Sunday 29 March.
    let sent = paris(2026, 3, 28, 12, 0);
    let (vault, clock) = open(&s, sent).await;
    let d = deposit(&vault, "PRINTEMPS", sent);
    // 12:30 CEST on Sunday is only 23.5 hours later.
    clock.set(paris(2026, 3, 29, 12, 30));
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 0);
    assert_eq!(state(&vault, &d.id), "awaiting_consultation");
    clock.set(paris(2026, 3, 29, 13, 0));
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 1);
    let (p, t) = notice(&s, &vault, &d).await;
    assert!(t.contains("dans les 24 heures"), "{t}");
    // The 24-hour convention is not 662-1's rule: its notice does not cite 662-1.
    assert!(!t.contains("662-1"), "{t}");
    assert!(
        !t.contains("au plus tard"),
        "662-1's wording for the letter: {t}"
    );
    assert!(t.contains("29/03/2026 13:00:00"), "{t}");
    // Sent on a Saturday: Sunday is not a working day, the letter is due on Monday 30 March.
    assert!(t.contains("30/03/2026 (premier jour ouvrable"), "{t}");
    preflight(&[p]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_day_rule_across_the_autumn_dst_change() {
    let s = setup(DeliveryRuleConfig::SameDay);
    // Saturday 24 October 2026, 20:00 CEST; midnight is 22:00 UTC.
    let sent = paris(2026, 10, 24, 20, 0);
    let (vault, clock) = open(&s, sent).await;
    let d = deposit(&vault, "AUTOMNE", sent);
    clock.set(Utc.with_ymd_and_hms(2026, 10, 24, 21, 59, 59).unwrap());
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 0);
    clock.set(Utc.with_ymd_and_hms(2026, 10, 24, 22, 0, 0).unwrap());
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 1);
    let (p, t) = notice(&s, &vault, &d).await;
    assert!(t.contains("25/10/2026 00:00:00"), "{t}");
    assert!(t.contains("26/10/2026 (premier jour ouvrable"), "{t}");
    preflight(&[p]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letter_on_saturday_and_after_a_public_holiday() {
    let s = setup(DeliveryRuleConfig::SameDay);
    // Friday 5 June 2026: Saturday counts as a working day.
    let friday = paris(2026, 6, 5, 15, 0);
    let (vault, clock) = open(&s, friday).await;
    let f = deposit(&vault, "VENDREDI", friday);
    // Monday 13 July 2026: 14 July is a public holiday.
    let monday = paris(2026, 7, 13, 9, 30);
    let m = deposit(&vault, "JUILLET", monday);
    clock.set(paris(2026, 6, 6, 0, 0));
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 1);
    clock.set(paris(2026, 7, 14, 8, 0));
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 1);
    let (pf, tf) = notice(&s, &vault, &f).await;
    assert!(tf.contains("06/06/2026 (premier jour ouvrable"), "{tf}");
    let (pm, tm) = notice(&s, &vault, &m).await;
    assert!(tm.contains("15/07/2026 (premier jour ouvrable"), "{tm}");
    preflight(&[pf, pm]);
}

/// Issue 19: a deposit accepted under La Réunion's place ends with Réunion's day (UTC+4, three
/// hours before Paris's midnight), and its letter skips Réunion's 20 December.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_and_the_letter_follow_reunion_s_day() {
    let s = setup(DeliveryRuleConfig::SameDay);
    let reunion = |d: u32, h: u32, mi: u32| {
        chrono_tz::Indian::Reunion
            .with_ymd_and_hms(2027, 12, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    // Saturday 18 December 2027, 10:00 in La Réunion (07:00 in Paris).
    let sent = reunion(18, 10, 0);
    let (vault, clock) = open(&s, sent).await;
    let d = deposit_in(&vault, "REUNION", sent, Some("974"));
    let p = deposit(&vault, "PARIS", sent);
    assert_eq!(
        delivery::next_deadline(&vault).await.unwrap(),
        Some(reunion(19, 0, 0))
    );
    // 23:59 in La Réunion (20:59 in Paris): still the day of the transmission there.
    clock.set(reunion(18, 23, 59));
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 0);
    // Midnight in La Réunion, 21:00 in Paris: Réunion's day is over, Paris's is not.
    clock.set(reunion(19, 0, 0));
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 1);
    let (pd, td) = notice(&s, &vault, &d).await;
    // Monday 20 December is Réunion's abolition day: the letter goes on Tuesday 21.
    assert!(td.contains("21/12/2027 (premier jour ouvrable"), "{td}");
    assert!(
        td.contains("La Réunion (974), fuseau horaire Indian/Reunion"),
        "{td}"
    );
    assert!(
        td.contains("échéance le 19/12/2027 00:00:00 heure locale"),
        "{td}"
    );
    clock.set(paris(2027, 12, 19, 0, 0));
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 1);
    let (pp, tp) = notice(&s, &vault, &p).await;
    assert!(tp.contains("20/12/2027 (premier jour ouvrable"), "{tp}");
    preflight(&[pd, pp]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_down_across_the_deadline_catches_up_on_restart() {
    let s = setup(DeliveryRuleConfig::SameDay);
    let sent = paris(2026, 6, 2, 16, 0);
    let d = {
        let (vault, _clock) = open(&s, sent).await;
        let d = deposit(&vault, "PANNE", sent);
        assert_eq!(delivery::decide_due(&vault).await.unwrap(), 0);
        d
        // The vault stops here, before the deadline.
    };
    // It opens again two days later: the scheduler's first pass decides what fell due.
    let later = paris(2026, 6, 4, 9, 15);
    let (vault, _clock) = open(&s, later).await;
    assert_eq!(state(&vault, &d.id), "awaiting_consultation");
    let sched = tokio::spawn(delivery::run_scheduler(
        vault.clone(),
        std::time::Duration::from_secs(3600),
    ));
    // Wait for the decision through the event feed's wake-up, not a timer.
    loop {
        let notified = vault.feed.notified();
        if state(&vault, &d.id) == "at_home" {
            break;
        }
        notified.await;
    }
    sched.abort();
    let (p, t) = notice(&s, &vault, &d).await;
    assert!(
        t.contains("03/06/2026 00:00:00"),
        "the deadline, not the restart: {t}"
    );
    assert!(
        t.contains("04/06/2026 09:15:00"),
        "the time of the decision: {t}"
    );
    assert!(t.contains("03/06/2026 (premier jour ouvrable"), "{t}");
    preflight(&[p]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consultation_whose_notice_was_not_filed_is_decided_by_the_catch_up() {
    let s = setup(DeliveryRuleConfig::SameDay);
    let sent = paris(2026, 6, 2, 9, 0);
    let read = paris(2026, 6, 2, 11, 30);
    let (vault, clock) = open(&s, sent).await;
    // More deposits awaiting (and not due) than one pass of the scheduler reads, all older than
    // the consulted one: the catch-up must still find it.
    for i in 0..201 {
        deposit(&vault, &format!("ATTENTE{i}"), sent);
    }
    let d = deposit(&vault, "LU", paris(2026, 6, 2, 10, 0));
    // What a vault killed between the consultation's commit and its notice leaves: the
    // consultation recorded, the deposit still awaiting, no notice.
    let (id, rid) = (d.id.clone(), d.recipient_id.clone());
    tx(vault.meta.as_ref(), move |sql| {
        meta::insert_consultation(sql, &id, &rid, read, "portal")
    })
    .unwrap();
    assert_eq!(state(&vault, &d.id), "awaiting_consultation");
    clock.set(paris(2026, 6, 2, 14, 0));
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 1);
    assert_eq!(state(&vault, &d.id), "in_person");
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 0);
    let (p, t) = notice(&s, &vault, &d).await;
    assert!(t.contains("Attestation de remise à personne"), "{t}");
    assert!(
        t.contains("02/06/2026 11:30:00"),
        "the consultation's time: {t}"
    );
    preflight(&[p]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_consultations_share_commits_and_each_gets_its_notice() {
    let s = setup(DeliveryRuleConfig::SameDay);
    let sent = paris(2026, 6, 2, 9, 0);
    let (vault, clock) = open(&s, sent).await;
    let ds: Vec<DepositRow> = (0..40)
        .map(|i| deposit(&vault, &format!("LOT{i}"), sent))
        .collect();
    clock.set(paris(2026, 6, 2, 12, 0));
    // Each deposit read twice at once: one consultation each, one notice each.
    let mut tasks = Vec::new();
    for d in ds.iter().chain(ds.iter()) {
        let (v, d) = (vault.clone(), d.clone());
        tasks.push(tokio::spawn(async move {
            delivery::record_consultation(&v, &d, Channel::Portal)
                .await
                .unwrap()
                .is_some()
        }));
    }
    let mut firsts = 0;
    for t in tasks {
        firsts += usize::from(t.await.unwrap());
    }
    assert_eq!(firsts, ds.len(), "one first consultation per deposit");
    delivery::settled(&vault).await;
    for d in &ds {
        assert_eq!(state(&vault, &d.id), "in_person");
        let events = journal_events(&vault, &d.id);
        let count = |e: &str| events.iter().filter(|x| x.as_str() == e).count();
        assert_eq!(count("ContentHandover"), 1, "{events:?}");
        assert_eq!(count("sceau:DeliveredInPerson"), 1, "{events:?}");
    }
    assert_eq!(delivery::decide_due(&vault).await.unwrap(), 0);
}
