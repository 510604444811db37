//! `sceau-vault init`: the configuration it writes opens the recipients' portal next to the API.
#![allow(clippy::unwrap_used, missing_docs)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_sceau-vault");

fn init(dir: &std::path::Path, extra: &[&str]) -> sceau_vault::config::Config {
    let out = Command::new(BIN)
        .arg("init")
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    sceau_vault::config::Config::load(std::path::Path::new(&path)).unwrap()
}

#[test]
fn init_opens_the_portal_next_to_the_api_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = init(
        &dir.path().join("a"),
        &["--listen", "0.0.0.0:9443", "--name", "coffre.exemple.fr"],
    );
    assert_eq!(cfg.listen, "0.0.0.0:9443");
    assert_eq!(cfg.portal.listen.as_deref(), Some("0.0.0.0:9444"));
    assert_eq!(cfg.portal.public_url, "https://coffre.exemple.fr:9444");

    let cfg = init(
        &dir.path().join("b"),
        &[
            "--listen",
            "127.0.0.1:8443",
            "--portal-listen",
            "127.0.0.1:443",
        ],
    );
    assert_eq!(cfg.portal.listen.as_deref(), Some("127.0.0.1:443"));
    assert_eq!(cfg.portal.public_url, "https://localhost:443");

    // Port 0 (tests pick a free port): no portal unless asked.
    let cfg = init(&dir.path().join("c"), &["--listen", "127.0.0.1:0"]);
    assert_eq!(cfg.portal.listen, None);
}

/// A data directory made without `--client-ca` cannot serve any office: `serve` says so and
/// what to do, instead of an internal error.
#[test]
fn serve_without_an_office_ca_names_the_cause_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    init(&data, &["--listen", "127.0.0.1:0"]);
    let out = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(data.join("vault.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("(no_office_ca)"), "{err}");
    assert!(err.contains("--client-ca"), "{err}");
    assert!(!err.contains("Erreur interne"), "{err}");
}
