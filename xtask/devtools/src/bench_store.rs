//! `cargo xtask bench store`: the local store at the size of a busy office's history.
//!
//! Builds (once, then reused from `target/bench-store/`) an encrypted store with 1,000,000
//! services through the store's own API, then measures the dashboard counts and the first page
//! of a search for each criterion of the manual. Goals: p95 ≤ 20 ms (counts), ≤ 50 ms (page).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{DateTime, TimeZone, Utc};
use sceau_core::delivery::{DeliveryState, NotificationCategory};
use sceau_store::{
    DashboardFilter, InsecureFileKeyStoreForTests, NewDocument, NewService, SearchCriteria, Source,
    Store,
};

const RECIPIENTS: u64 = 2000;
const NATURES: u64 = 12;
const SAMPLES: usize = 200;

/// A small deterministic generator (SplitMix64): the same data on every run, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn recipient_name(k: u64) -> String {
    if k < RECIPIENTS / 10 {
        format!("BANQUE REGIONALE {k:04}")
    } else {
        format!("DURAND{k:04} Élodie")
    }
}

fn reference(i: u64) -> String {
    format!("D{i:07}")
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2023, 1, 1, 8, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Three years of services, evenly spread.
fn served_at(i: u64, n: u64) -> DateTime<Utc> {
    let span = 3 * 365 * 24 * 3600 * 1000_i64;
    start() + chrono::Duration::milliseconds(span / n as i64 * i as i64)
}

pub(crate) fn build(dir: &std::path::Path, n: u64) -> Result<Store> {
    std::fs::create_dir_all(dir)?;
    let keys = InsecureFileKeyStoreForTests::new(dir.join("key.bin"));
    let db = dir.join("sceau.db");
    let marker = dir.join(format!("complete-{n}"));
    if marker.exists() {
        let t = Instant::now();
        let store = Store::open(&db, &keys)?;
        println!(
            "reusing {} ({n} services; open and migrate: {:.1} s)",
            db.display(),
            t.elapsed().as_secs_f64()
        );
        return Ok(store);
    }
    for f in ["sceau.db", "sceau.db-wal", "sceau.db-shm", "key.bin"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let mut store = Store::open(&db, &keys)?;
    let t0 = Instant::now();
    let mut rng = Rng(42);
    const CHUNK: u64 = 50_000;
    let now_cut = served_at(n, n) - chrono::Duration::days(30);
    for chunk in 0..n.div_ceil(CHUNK) {
        store.batch(|b| {
            for i in chunk * CHUNK..((chunk + 1) * CHUNK).min(n) {
                let at = served_at(i, n);
                let reference = reference(i);
                let recipient = rng.below(RECIPIENTS);
                let new = NewService {
                    reference: reference.clone(),
                    recipient_id: format!("rcp-{recipient}"),
                    recipient_name: recipient_name(recipient),
                    nature: format!("N{:02}", rng.below(NATURES)),
                    source: if rng.below(10) < 8 {
                        Source::Edi
                    } else {
                        Source::Form
                    },
                    created_at: at - chrono::Duration::minutes(5),
                    documents: vec![NewDocument {
                        name: format!("9991_{reference}_{}.pdf", at.format("%Y%m%d_%H%M%S")),
                        size: 200_000 + rng.below(100_000),
                        sha256: [(i % 251) as u8; 32],
                        local_path: PathBuf::from(format!("actes/{reference}.pdf")),
                    }],
                    requerant: None,
                    edi_batch: None,
                };
                let id = b.insert_service(&new)?;
                b.mark_deposited(id, &format!("dep-{i}"), at)?;
                // The last 2 % are still awaiting consultation.
                if i < n - n / 50 {
                    let state = if rng.below(100) < 62 {
                        DeliveryState::InPerson
                    } else {
                        DeliveryState::AtHome
                    };
                    b.set_delivery_state(id, state, at + chrono::Duration::hours(3))?;
                    if rng.below(20) == 0 {
                        b.record_return(
                            id,
                            at + chrono::Duration::days(2),
                            &format!("9991_{reference}_RETOUR.pdf"),
                        )?;
                    }
                }
            }
            // The office has seen everything older than a month.
            b.mark_seen_before(now_cut)?;
            Ok(())
        })?;
        let done = ((chunk + 1) * CHUNK).min(n);
        if done.is_multiple_of(200_000) || done == n {
            println!(
                "  {done} services written ({:.0} s)",
                t0.elapsed().as_secs_f64()
            );
        }
    }
    store.analyze()?;
    store.checkpoint()?;
    std::fs::write(&marker, b"")?;
    println!(
        "built {n} services in {:.0} s ({:.0} MB)",
        t0.elapsed().as_secs_f64(),
        std::fs::metadata(&db)?.len() as f64 / 1e6
    );
    Ok(store)
}

/// p50, p95, max of `SAMPLES` runs of `f` (after a short warm-up), in milliseconds.
fn measure(mut f: impl FnMut(usize) -> Result<usize>) -> Result<(f64, f64, f64, usize)> {
    for i in 0..3 {
        f(i)?;
    }
    let mut times = Vec::with_capacity(SAMPLES);
    let mut rows = 0;
    for i in 0..SAMPLES {
        let t = Instant::now();
        rows += f(i)?;
        times.push(t.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let p = |q: f64| ms(times[((times.len() as f64 * q).ceil() as usize).min(times.len()) - 1]);
    Ok((p(0.5), p(0.95), ms(times[times.len() - 1]), rows / SAMPLES))
}

/// The benchmark.
pub fn store() -> Result<()> {
    let n: u64 = std::env::var("SCEAU_BENCH_STORE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let dir = target.join("bench-store");
    println!(
        "bench store — SQLCipher-encrypted local store, {n} services, {SAMPLES} samples per query"
    );
    let store = reopen(
        build(&dir, n).context("building the benchmark store")?,
        &dir,
    )?;
    let counts = store.dashboard_counts()?;
    println!(
        "unseen: {} awaiting, {} in person, {} at home, {} returns",
        counts.awaiting_consultation,
        counts.delivered_in_person,
        counts.delivered_at_home,
        counts.return_awaiting_consultation
    );

    println!(
        "{:<44} {:>8} {:>8} {:>8} {:>6} {:>6}",
        "query", "p50 ms", "p95 ms", "max ms", "rows", "goal"
    );
    let mut report = Report::default();
    dashboard(&store, n, &mut report)?;
    searches(&store, n, &mut report)?;
    println!(
        "goals: counts p95 <= 20 ms, first page p95 <= 50 ms; {} missed",
        report.failures
    );
    Ok(())
}

/// Closes `store` and opens it again, timing the opening (key and schema check).
fn reopen(store: Store, dir: &Path) -> Result<Store> {
    let t = Instant::now();
    drop(store);
    let store = Store::open(
        dir.join("sceau.db"),
        &InsecureFileKeyStoreForTests::new(dir.join("key.bin")),
    )?;
    println!(
        "open (key + schema check): {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    Ok(store)
}

/// The table's lines and the goals missed.
#[derive(Default)]
struct Report {
    failures: usize,
}

impl Report {
    /// Prints `name`'s line (p50, p95, max, rows) against its p95 `goal`.
    fn line(&mut self, name: &str, goal: f64, r: (f64, f64, f64, usize)) {
        let ok = r.1 <= goal;
        if !ok {
            self.failures += 1;
        }
        println!(
            "{:<44} {:>8.2} {:>8.2} {:>8.2} {:>6} {:>6} {}",
            name,
            r.0,
            r.1,
            r.2,
            r.3,
            goal,
            if ok { "ok" } else { "MISSED" }
        );
    }
}

/// The dashboard: counts, the first page of each category, then filtered by recipient and by
/// reference.
fn dashboard(store: &Store, n: u64, report: &mut Report) -> Result<()> {
    report.line(
        "dashboard counts (4 categories)",
        20.0,
        measure(|_| {
            store.dashboard_counts()?;
            Ok(4)
        })?,
    );
    for cat in NotificationCategory::ALL {
        report.line(
            &format!("dashboard page 1: {}", cat.code()),
            50.0,
            measure(|_| {
                Ok(store
                    .dashboard_page(cat, &DashboardFilter::default(), 0)?
                    .items
                    .len())
            })?,
        );
    }
    for cat in [
        NotificationCategory::DeliveredAtHome,
        NotificationCategory::AwaitingConsultation,
    ] {
        report.line(
            &format!("dashboard page 1 by recipient: {}", cat.code()),
            50.0,
            measure(|i| {
                let f = DashboardFilter {
                    recipient: Some(recipient_name((i as u64 * 7919) % RECIPIENTS)),
                    ..Default::default()
                };
                Ok(store.dashboard_page(cat, &f, 0)?.items.len())
            })?,
        );
        report.line(
            &format!("dashboard page 1 by reference: {}", cat.code()),
            50.0,
            measure(|i| {
                let f = DashboardFilter {
                    reference: Some(reference(n - 1 - (i as u64 * 31) % (n / 50))),
                    ..Default::default()
                };
                Ok(store.dashboard_page(cat, &f, 0)?.items.len())
            })?,
        );
    }
    Ok(())
}

/// The first page of a search for each criterion of the manual.
fn searches(store: &Store, n: u64, report: &mut Report) -> Result<()> {
    let mut rng = Rng(7);
    let mut search = |name: &str, make: &mut dyn FnMut(&mut Rng) -> SearchCriteria| -> Result<()> {
        let r = measure(|_| {
            let c = make(&mut rng);
            Ok(store.search(&c, 0)?.items.len())
        })?;
        report.line(&format!("search page 1: {name}"), 50.0, r);
        Ok(())
    };
    search("no criterion (most recent)", &mut |_| {
        SearchCriteria::default()
    })?;
    search("service date, one week", &mut |r| {
        let from = served_at(r.below(n), n);
        SearchCriteria {
            served_from: Some(from),
            served_until: Some(from + chrono::Duration::days(7)),
            ..Default::default()
        }
    })?;
    search("delivery state", &mut |r| SearchCriteria {
        state: Some(
            [
                DeliveryState::AwaitingConsultation,
                DeliveryState::InPerson,
                DeliveryState::AtHome,
            ][r.below(3) as usize],
        ),
        ..Default::default()
    })?;
    search("reference (prefix, ~10 matches)", &mut |r| SearchCriteria {
        reference: Some(reference(r.below(n))[..7].to_string()),
        ..Default::default()
    })?;
    search("reference (exact)", &mut |r| SearchCriteria {
        reference: Some(reference(r.below(n))),
        ..Default::default()
    })?;
    search("document name (prefix)", &mut |r| SearchCriteria {
        document_name: Some(format!("9991_{}", &reference(r.below(n))[..7])),
        ..Default::default()
    })?;
    search("recipient (a name, ~500 services)", &mut |r| {
        SearchCriteria {
            recipient: Some(recipient_name(r.below(RECIPIENTS))),
            ..Default::default()
        }
    })?;
    search("recipient (broad prefix \"banque\")", &mut |_| {
        SearchCriteria {
            recipient: Some("banque".into()),
            ..Default::default()
        }
    })?;
    search("nature", &mut |r| SearchCriteria {
        nature: Some(format!("N{:02}", r.below(NATURES))),
        ..Default::default()
    })?;
    search("source", &mut |r| SearchCriteria {
        source: Some(if r.below(2) == 0 {
            Source::Edi
        } else {
            Source::Form
        }),
        ..Default::default()
    })?;
    search("nature + state + one month", &mut |r| {
        let from = served_at(r.below(n), n);
        SearchCriteria {
            nature: Some(format!("N{:02}", r.below(NATURES))),
            state: Some(DeliveryState::AtHome),
            served_from: Some(from),
            served_until: Some(from + chrono::Duration::days(30)),
            ..Default::default()
        }
    })?;
    Ok(())
}
