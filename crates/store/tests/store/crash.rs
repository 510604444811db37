//! Crash safety of the outbox: a child process performing outbox transitions is killed with
//! SIGKILL at arbitrary points; after each kill the store must open and be consistent.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::Utc;
use sceau_core::delivery::DeliveryState;
use sceau_store::{InsecureFileKeyStoreForTests, OutboxState, Source, Store};

use super::service;

const DIR_VAR: &str = "SCEAU_STORE_CRASH_DIR";

/// The child's work: enqueue, claim, then complete or fail-and-retry, forever; each line on
/// stdout is printed after the transaction it reports has committed.
#[test]
#[ignore = "run by outbox_survives_sigkill as a child process"]
fn crash_child() {
    let Some(dir) = std::env::var_os(DIR_VAR) else {
        return;
    };
    let dir = Path::new(&dir);
    let keys = InsecureFileKeyStoreForTests::new(dir.join("key.bin"));
    let mut s = Store::open(dir.join("sceau.db"), &keys).unwrap();
    let out = std::io::stdout();
    let mut out = out.lock();
    for i in 0u64.. {
        let pid = std::process::id();
        let item = s
            .enqueue_service(
                &service(&format!("C-{pid}-{i}"), "BANQUE TEST", "SA", Source::Edi),
                Path::new("/pkg"),
                Utc::now(),
            )
            .unwrap();
        writeln!(out, "ENQ {} {}", item.id, item.idempotency_key).unwrap();
        out.flush().unwrap();
        let Some(claimed) = s.claim_next(Utc::now()).unwrap() else {
            continue;
        };
        writeln!(out, "CLAIM {}", claimed.id).unwrap();
        out.flush().unwrap();
        if i % 3 == 0 {
            s.fail_upload(claimed.id, "network", Some(Utc::now()))
                .unwrap();
            writeln!(out, "RETRY {}", claimed.id).unwrap();
        } else {
            s.complete_upload(
                claimed.id,
                &format!("dep-{}", claimed.idempotency_key),
                Utc::now(),
            )
            .unwrap();
            writeln!(out, "DONE {}", claimed.id).unwrap();
        }
        out.flush().unwrap();
    }
}

#[test]
fn outbox_survives_sigkill() {
    let f = super::Fixture::new();
    drop(f.open()); // create the database and its key
    let exe = std::env::current_exe().unwrap();
    let mut keys: HashMap<i64, String> = HashMap::new();
    let mut done: Vec<i64> = Vec::new();
    let mut total_lines = 0;
    for round in 0..6u64 {
        let mut child = Command::new(&exe)
            .args([
                "crash::crash_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(DIR_VAR, f.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Let it run a varying number of transitions, then kill it wherever it is.
        let wanted = 40 + round * 37;
        let mut lines = Vec::new();
        let start = Instant::now();
        while (lines.len() as u64) < wanted && start.elapsed() < Duration::from_secs(60) {
            if let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
                lines.push(line);
            }
        }
        std::thread::sleep(Duration::from_micros(round * 1500));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        lines.extend(rx.try_iter());
        for line in lines {
            total_lines += 1;
            let mut parts = line.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some("ENQ"), Some(id), Some(key)) => {
                    keys.insert(id.parse().unwrap(), key.to_string());
                }
                (Some("DONE"), Some(id), None) => done.push(id.parse().unwrap()),
                _ => {}
            }
        }
        check_consistent(&f, &keys, &done, round);
    }
    assert!(
        keys.len() > 100,
        "the child did real work ({} packages)",
        keys.len()
    );
    assert!(total_lines > 200);
}

fn check_consistent(f: &super::Fixture, keys: &HashMap<i64, String>, done: &[i64], round: u64) {
    let mut s = f.open();
    let items = s.outbox_list(None).unwrap();
    let by_id: HashMap<i64, _> = items.iter().map(|i| (i.id, i)).collect();
    // No package the child reported is lost, and its idempotency key never changed.
    for (id, key) in keys {
        let item = by_id
            .get(id)
            .unwrap_or_else(|| panic!("round {round}: package {id} lost"));
        assert_eq!(&item.idempotency_key, key);
    }
    for id in done {
        assert_eq!(
            by_id[id].state,
            OutboxState::Deposited,
            "round {round}: {id}"
        );
    }
    // Each package is in exactly one coherent state, and so is its service.
    let mut services = 0;
    for item in &items {
        let svc = s.service(item.service_id).unwrap();
        services += 1;
        match item.state {
            OutboxState::Deposited => {
                let dep = item.deposit_id.as_deref().unwrap();
                assert_eq!(svc.vault_deposit_id.as_deref(), Some(dep));
                assert_eq!(svc.state, Some(DeliveryState::AwaitingConsultation));
            }
            _ => {
                assert!(item.deposit_id.is_none());
                assert!(svc.vault_deposit_id.is_none());
                assert_eq!(svc.state, None);
            }
        }
    }
    // Every service has its package (they are written in one transaction).
    let all = s
        .search(&sceau_store::SearchCriteria::default(), 0)
        .unwrap();
    assert!(services >= all.items.len());
    let deposited = items
        .iter()
        .filter(|i| i.state == OutboxState::Deposited)
        .count() as u64;
    let counts = s.dashboard_counts().unwrap();
    assert_eq!(counts, s.dashboard_counts_scanned().unwrap());
    assert_eq!(counts.awaiting_consultation, deposited);
    // Recovery puts an interrupted upload back in the queue, with the same key.
    let recovered = s.recover_interrupted().unwrap();
    eprintln!(
        "round {round}: {} packages, {deposited} deposited, {recovered} interrupted uploads recovered",
        items.len()
    );
    assert!(s
        .outbox_list(Some(OutboxState::Uploading))
        .unwrap()
        .is_empty());
}
