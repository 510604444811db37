//! The database key in a real Secret Service: GNOME Keyring in a private D-Bus session
//! (`dbus-run-session`), the test re-run inside it as a child process.

use std::process::Command;

use sceau_store::{os_key_store, KeyBackend, Source, Store};

use super::service;

const INSIDE_VAR: &str = "SCEAU_STORE_IN_DBUS_SESSION";

/// Runs inside the private session: create, reopen, refuse another account's (missing) key.
#[test]
#[ignore = "run by secret_service_keeps_the_key as a child process"]
fn secret_service_child() {
    if std::env::var_os(INSIDE_VAR).is_none() {
        return;
    }
    let f = super::Fixture::new();
    let keys = os_key_store(KeyBackend::SecretService, "test-office").unwrap();
    assert!(keys.load().unwrap().is_none());
    let id = {
        let mut s = Store::open(f.db(), keys.as_ref()).unwrap();
        s.insert_service(&service("SS-1", "BANQUE TEST", "SA", Source::Form))
            .unwrap()
    };
    let stored = keys.load().unwrap().expect("the key is in the keyring");
    // A second handle (as after a restart) finds the same key and opens the database.
    let again = os_key_store(KeyBackend::SecretService, "test-office").unwrap();
    assert_eq!(again.load().unwrap().unwrap().as_bytes(), stored.as_bytes());
    let s = Store::open(f.db(), again.as_ref()).unwrap();
    assert_eq!(s.service(id).unwrap().reference, "SS-1");
    drop(s);
    let other = os_key_store(KeyBackend::SecretService, "another-office").unwrap();
    assert_eq!(
        Store::open(f.db(), other.as_ref()).unwrap_err().code(),
        "store.key_missing"
    );
    println!("SECRET-SERVICE-OK");
}

#[test]
fn secret_service_keeps_the_key() {
    let exe = std::env::current_exe().unwrap();
    let script = format!(
        "echo sceau-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null && \
         exec '{}' secret_service::secret_service_child --exact --ignored --nocapture \
         --test-threads=1",
        exe.display()
    );
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", &script])
        .env(INSIDE_VAR, "1")
        // A keyring directory of its own, not the machine user's.
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_RUNTIME_DIR", home.path())
        .output()
        .expect("dbus-run-session (cargo xtask setup installs it with gnome-keyring)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("SECRET-SERVICE-OK"),
        "status {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn without_a_session_bus_the_secret_service_is_a_clear_error() {
    // A bus address that does not exist: the key store must say so, not fall back.
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "secret_service::no_bus_child",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/sceau-bus",
        )
        .env(INSIDE_VAR, "1")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("NO-BUS-OK"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "run by without_a_session_bus_the_secret_service_is_a_clear_error"]
fn no_bus_child() {
    if std::env::var_os(INSIDE_VAR).is_none() {
        return;
    }
    let f = super::Fixture::new();
    let keys = os_key_store(KeyBackend::SecretService, "test-office").unwrap();
    let err = Store::open(f.db(), keys.as_ref()).unwrap_err();
    assert_eq!(err.code(), "store.keystore_unavailable", "{err}");
    assert!(err.message_fr().contains("trousseau"));
    assert!(!f.db().exists(), "no database without a kept key");
    println!("NO-BUS-OK");
}
