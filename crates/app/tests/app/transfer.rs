//! "Transférer" (Mon coffre-fort): files of the workstation streamed into the office's vault on
//! loopback, with the progress the window draws.

use std::sync::{Arc, Mutex};

use chrono::Weekday;
use sceau_app::{Auth, Progress};

use crate::{next, world};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_transfer_reports_increasing_progress_up_to_each_file_size() {
    let w = world(next(Weekday::Tue, 10)).await;
    let dir = tempfile::tempdir().unwrap();
    // A multi-MiB file (not a whole number of chunks) and a small one after it.
    let big = dir.path().join("Relevés 2026.bin");
    let size = 5 * 1024 * 1024 + 12_345;
    let content: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&big, &content).unwrap();
    let small = dir.path().join("note.txt");
    std::fs::write(&small, b"petit fichier").unwrap();

    let events = Arc::new(Mutex::new(Vec::new()));
    let sink: sceau_app::ProgressSink = {
        let events = events.clone();
        Arc::new(move |p| events.lock().unwrap().push(p))
    };
    let done = w
        .app
        .vault_upload(Auth::Pin(&w.cred), "", &[big.clone(), small.clone()], sink)
        .await
        .unwrap_or_else(|e| panic!("{}: {}", e.code(), e.message_fr()));
    assert_eq!(done.len(), 2);
    assert_eq!(done[0].entry.size, size as u64);

    // Every report is of the transfer: (name, files done, files total, sent, total).
    let reports: Vec<(String, usize, usize, u64, u64)> = events
        .lock()
        .unwrap()
        .iter()
        .map(|p| match p {
            Progress::VaultUpload {
                name,
                files_done,
                files_total,
                sent,
                total,
            } => (name.clone(), *files_done, *files_total, *sent, *total),
            other => panic!("not a transfer report: {other:?}"),
        })
        .collect();
    let of = |name: &str| -> Vec<(usize, usize, u64, u64)> {
        reports
            .iter()
            .filter(|r| r.0 == name)
            .map(|r| (r.1, r.2, r.3, r.4))
            .collect()
    };
    let big_reports = of("Relevés 2026.bin");
    // More than once, increasing, ending at the file's size; about one per MiB, not per chunk.
    assert!(big_reports.len() > 2, "{big_reports:?}");
    assert!(big_reports.len() <= 8, "{big_reports:?}");
    assert!(
        big_reports.windows(2).all(|p| p[0].2 < p[1].2),
        "{big_reports:?}"
    );
    assert_eq!(big_reports.last().map(|r| r.2), Some(size as u64));
    assert!(big_reports
        .iter()
        .all(|r| (r.0, r.1, r.3) == (0, 2, size as u64)));
    // The second file comes after the first is in the vault, and counts it as done.
    let small_reports = of("note.txt");
    assert_eq!(small_reports.last(), Some(&(1, 2, 13, 13)));
    let first_small = reports.iter().position(|r| r.0 == "note.txt").unwrap();
    let last_big = reports
        .iter()
        .rposition(|r| r.0 == "Relevés 2026.bin")
        .unwrap();
    assert!(last_big < first_small);
    assert_eq!(reports.len(), big_reports.len() + small_reports.len());
}
