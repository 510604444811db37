//! The data directory is private from the start: every directory the vault makes is 0700 and
//! every file 0600 — the database and its WAL, `vault.toml` with the SMTP password, the keys,
//! the lock, the spools, the pending notes and the blobs — under the test process's ordinary
//! umask (022), where a plain `create` would give 0755 and 0644.
#![cfg(unix)]
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use common::*;

/// Every entry under `dir` (itself included) with its mode, and the ones that are not private.
fn not_private(dir: &Path) -> (usize, Vec<String>) {
    let mut seen = 0;
    let mut bad = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = std::fs::symlink_metadata(&p).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        seen += 1;
        if meta.is_dir() {
            if mode != 0o700 {
                bad.push(format!("{} {mode:o}", p.display()));
            }
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else if mode != 0o600 {
            bad.push(format!("{} {mode:o}", p.display()));
        }
    }
    (seen, bad)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_directory_files_are_0600_and_directories_0700_from_the_start() {
    let h = Harness::start_with(
        Backend::Embedded,
        Arc::new(sceau_vault::SceauPdfa),
        |cfg, _| {
            let mut smtp = smtp_config(2525, sceau_vault::config::SmtpSecurity::Plain, None);
            smtp.username = Some("coffre".into());
            smtp.password = Some("mot-de-passe-smtp".into());
            cfg.smtp = Some(smtp);
        },
    )
    .await;
    let data = h.config.data_dir.clone();
    // The configuration with its password, written again over the one `init` made.
    let toml = data.join("vault.toml");
    h.config.save(&toml).unwrap();
    assert!(std::fs::read_to_string(&toml)
        .unwrap()
        .contains("mot-de-passe-smtp"));
    // A deposit: spool, pending note, blobs.
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let pkg = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "MODES");
    let r = put_package(&h, &c, "cle-modes", &pkg).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    for f in [
        "vault.db",
        "vault.db-wal",
        "vault.toml",
        "vault.lock",
        "seal.key.pem",
        "tsa.key.pem",
        "server.key.pem",
    ] {
        assert!(data.join(f).exists(), "{f} missing");
    }
    assert!(data.join("blobs").read_dir().unwrap().count() > 1);
    let (seen, bad) = not_private(&data);
    assert!(seen > 15, "only {seen} entries looked at");
    assert!(bad.is_empty(), "not private: {bad:#?}");
}

#[test]
fn init_by_the_binary_makes_a_private_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("coffre");
    // A directory the operator made beforehand with the usual 0755 is closed as well.
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sceau-vault"))
        .arg("init")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (seen, bad) = not_private(&data);
    assert!(seen >= 8, "only {seen} entries looked at");
    assert!(bad.is_empty(), "not private: {bad:#?}");
}
