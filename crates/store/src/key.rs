//! The database key and where it is kept: the OS credential store in production, a plain file in
//! tests only.

use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};

/// A raw 256-bit SQLCipher key (no passphrase derivation: opening costs ~60 ms instead of ~250).
#[derive(Clone)]
pub struct DbKey([u8; 32]);

impl DbKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        OsRng.fill_bytes(&mut k);
        DbKey(k)
    }

    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let k: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::MalformedKey { len: bytes.len() })?;
        Ok(DbKey(k))
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The `PRAGMA key` value for a raw key: `x'<64 hex>'`, wiped on drop.
    pub(crate) fn pragma_value(&self) -> Zeroizing<String> {
        let hex = Zeroizing::new(hex::encode(self.0));
        Zeroizing::new(format!("x'{}'", hex.as_str()))
    }
}

impl Drop for DbKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(..)")
    }
}

/// Where the database key is kept.
pub trait KeyStore {
    /// The stored key, or `None` if there is none.
    fn load(&self) -> Result<Option<DbKey>>;
    /// Stores `key`, replacing any previous one.
    fn save(&self, key: &DbKey) -> Result<()>;
}

pub use sceau_core::platform::Os;

/// Which credential store keeps the database key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyBackend {
    /// The Secret Service of the desktop session (GNOME Keyring, KWallet): persistent, unlocked
    /// with the user's session. The default on Linux.
    SecretService,
    /// Kernel keyutils (Linux): keys in memory only — lost at reboot — so it suits headless or
    /// short-lived use, never an office's database; chosen only when asked for.
    KernelKeyutils,
    /// Windows Credential Manager (the user's "Informations d'identification Windows"),
    /// protected by the user's Windows logon. The default on Windows.
    WindowsCredentialManager,
    /// The user's login keychain on macOS. The default on macOS.
    MacOsKeychain,
}

impl KeyBackend {
    /// Every backend, in the order of the setting's documentation.
    pub const ALL: [KeyBackend; 4] = [
        KeyBackend::SecretService,
        KeyBackend::KernelKeyutils,
        KeyBackend::WindowsCredentialManager,
        KeyBackend::MacOsKeychain,
    ];

    /// Its value in the `key_store` setting.
    pub fn setting(self) -> &'static str {
        match self {
            KeyBackend::SecretService => "secret-service",
            KeyBackend::KernelKeyutils => "keyutils",
            KeyBackend::WindowsCredentialManager => "windows",
            KeyBackend::MacOsKeychain => "keychain",
        }
    }

    /// The system on which it exists.
    pub fn platform(self) -> Os {
        match self {
            KeyBackend::SecretService | KeyBackend::KernelKeyutils => Os::Linux,
            KeyBackend::WindowsCredentialManager => Os::Windows,
            KeyBackend::MacOsKeychain => Os::MacOs,
        }
    }
}

impl std::str::FromStr for KeyBackend {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self> {
        KeyBackend::ALL
            .into_iter()
            .find(|b| b.setting() == value.trim())
            .ok_or_else(|| Error::UnknownKeyStore {
                value: value.to_owned(),
            })
    }
}

/// The one rule choosing where the database key is kept: the `key_store` setting when given
/// (it must name a store of `platform`), otherwise the platform's persistent store — Secret
/// Service on Linux, Credential Manager on Windows, the login keychain on macOS. There is no
/// silent fallback from one store to another: a key written to one would be "missing" from the
/// other, and the office's database would look lost.
pub fn choose_key_backend(platform: Os, setting: Option<&str>) -> Result<KeyBackend> {
    let backend = match setting.map(str::trim).filter(|s| !s.is_empty()) {
        Some(value) => value.parse()?,
        None => match platform {
            Os::Linux => KeyBackend::SecretService,
            Os::Windows => KeyBackend::WindowsCredentialManager,
            Os::MacOs => KeyBackend::MacOsKeychain,
            Os::Other => {
                return Err(Error::KeyStoreUnsupported {
                    backend: None,
                    platform,
                })
            }
        },
    };
    if backend.platform() != platform {
        return Err(Error::KeyStoreUnsupported {
            backend: Some(backend),
            platform,
        });
    }
    Ok(backend)
}

/// The key store of `backend` for the database named `account` on this system (see
/// [`choose_key_backend`] for which one to use).
pub fn os_key_store(backend: KeyBackend, account: &str) -> Result<Box<dyn KeyStore>> {
    let platform = Os::current();
    if backend.platform() != platform {
        return Err(Error::KeyStoreUnsupported {
            backend: Some(backend),
            platform,
        });
    }
    match backend {
        #[cfg(target_os = "linux")]
        KeyBackend::SecretService => Ok(Box::new(SecretServiceKeyStore::new(account))),
        _ => Ok(Box::new(OsKeyStore::new(backend, account)?)),
    }
}

/// A key kept in one of the `keyring-core` credential stores: kernel keyutils on Linux (the
/// process needs a session keyring: a desktop session has one; headless, start under `keyctl
/// session -` or call [`join_session_keyring`]), Windows Credential Manager, the macOS login
/// keychain. The store is this value's own, never `keyring-core`'s process-wide default.
#[derive(Clone)]
pub struct OsKeyStore {
    store: std::sync::Arc<keyring_core::CredentialStore>,
    account: String,
}

impl std::fmt::Debug for OsKeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OsKeyStore")
            .field("store", &self.store.vendor())
            .field("account", &self.account)
            .finish()
    }
}

/// The credential service name under which Sceau keeps its database keys.
pub const KEYRING_SERVICE: &str = "fr.sceau.local-store";

impl OsKeyStore {
    /// The key of the database named `account` (e.g. the office profile) in `backend`, which
    /// must be a `keyring-core` store of this system (not the Secret Service, which has its
    /// own [`SecretServiceKeyStore`]).
    pub fn new(backend: KeyBackend, account: &str) -> Result<Self> {
        Ok(OsKeyStore {
            store: native_store(backend)?,
            account: account.into(),
        })
    }

    fn entry(&self) -> Result<keyring_core::Entry> {
        self.store
            .build(KEYRING_SERVICE, &self.account, None)
            .map_err(keystore_err)
    }
}

/// The thin adapter to each system's credential store: one line per system, behind `cfg`.
fn native_store(backend: KeyBackend) -> Result<std::sync::Arc<keyring_core::CredentialStore>> {
    let unsupported = || Error::KeyStoreUnsupported {
        backend: Some(backend),
        platform: Os::current(),
    };
    match backend {
        #[cfg(target_os = "linux")]
        KeyBackend::KernelKeyutils => {
            Ok(linux_keyutils_keyring_store::Store::new().map_err(keystore_err)?)
        }
        #[cfg(target_os = "windows")]
        KeyBackend::WindowsCredentialManager => {
            Ok(windows_native_keyring_store::Store::new().map_err(keystore_err)?)
        }
        #[cfg(target_os = "macos")]
        KeyBackend::MacOsKeychain => {
            Ok(apple_native_keyring_store::keychain::Store::new().map_err(keystore_err)?)
        }
        _ => Err(unsupported()),
    }
}

fn keystore_err(e: keyring_core::Error) -> Error {
    Error::KeyStore {
        detail: e.to_string(),
    }
}

/// Gives the calling thread a session keyring of its own if it has none (headless Linux, where
/// keyutils otherwise refuses to store). Keys in it live as long as the session.
#[cfg(target_os = "linux")]
pub fn join_session_keyring() -> Result<()> {
    use linux_keyutils::{KeyRing, KeyRingIdentifier};
    KeyRing::from_special_id(KeyRingIdentifier::Session, true)
        .map(|_| ())
        .map_err(|e| Error::KeyStore {
            detail: format!("joining a session keyring: {e:?}"),
        })
}

impl KeyStore for OsKeyStore {
    fn load(&self) -> Result<Option<DbKey>> {
        match self.entry()?.get_secret() {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                DbKey::from_bytes(&bytes).map(Some)
            }
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(keystore_err(e)),
        }
    }

    fn save(&self, key: &DbKey) -> Result<()> {
        self.entry()?
            .set_secret(key.as_bytes())
            .map_err(keystore_err)
    }
}

/// The desktop session's Secret Service (D-Bus `org.freedesktop.secrets`), with secrets
/// encrypted in transit (Diffie-Hellman session). The key is stored as hex text under the
/// attributes `service` = [`KEYRING_SERVICE`] and `account`.
#[cfg(target_os = "linux")]
#[derive(Debug, Clone)]
pub struct SecretServiceKeyStore {
    account: String,
}

#[cfg(target_os = "linux")]
impl SecretServiceKeyStore {
    /// The key of the database named `account`.
    pub fn new(account: &str) -> Self {
        SecretServiceKeyStore {
            account: account.into(),
        }
    }

    fn attributes(&self) -> std::collections::HashMap<&str, &str> {
        std::collections::HashMap::from([
            ("service", KEYRING_SERVICE),
            ("account", self.account.as_str()),
        ])
    }

    fn connect() -> Result<dbus_secret_service::SecretService> {
        dbus_secret_service::SecretService::connect(dbus_secret_service::EncryptionType::Dh)
            .map_err(ss_err)
    }
}

#[cfg(target_os = "linux")]
fn ss_err(e: dbus_secret_service::Error) -> Error {
    Error::KeyStore {
        detail: format!("Secret Service: {e}"),
    }
}

#[cfg(target_os = "linux")]
impl KeyStore for SecretServiceKeyStore {
    fn load(&self) -> Result<Option<DbKey>> {
        let ss = Self::connect()?;
        let found = ss.search_items(self.attributes()).map_err(ss_err)?;
        let item = match (found.unlocked.first(), found.locked.first()) {
            (Some(item), _) => item,
            (None, Some(item)) => {
                // Asks the user to unlock their keyring if it is locked.
                item.unlock().map_err(ss_err)?;
                item
            }
            (None, None) => return Ok(None),
        };
        let text = Zeroizing::new(item.get_secret().map_err(ss_err)?);
        let bytes = Zeroizing::new(
            hex::decode(text.as_slice()).map_err(|_| Error::MalformedKey { len: text.len() })?,
        );
        DbKey::from_bytes(&bytes).map(Some)
    }

    fn save(&self, key: &DbKey) -> Result<()> {
        let ss = Self::connect()?;
        let collection = ss
            .get_default_collection()
            .or_else(|_| ss.get_any_collection())
            .map_err(ss_err)?;
        collection.ensure_unlocked().map_err(ss_err)?;
        let text = Zeroizing::new(hex::encode(key.as_bytes()));
        collection
            .create_item(
                &format!("Sceau : clé de la base locale ({})", self.account),
                self.attributes(),
                text.as_bytes(),
                true,
                "text/plain",
            )
            .map_err(ss_err)?;
        Ok(())
    }
}

/// FOR TESTS AND BENCHMARKS ONLY: keeps the key in clear in a file next to nothing secret. It
/// exists so that child processes of a test can share a key without a credential store; never
/// use it for an office's data.
#[derive(Debug, Clone)]
pub struct InsecureFileKeyStoreForTests {
    path: PathBuf,
}

impl InsecureFileKeyStoreForTests {
    /// Keeps the key in `path` (raw 32 bytes).
    pub fn new(path: impl AsRef<Path>) -> Self {
        InsecureFileKeyStoreForTests {
            path: path.as_ref().to_path_buf(),
        }
    }
}

impl KeyStore for InsecureFileKeyStoreForTests {
    fn load(&self) -> Result<Option<DbKey>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => DbKey::from_bytes(&Zeroizing::new(bytes)).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io {
                path: self.path.clone(),
                source,
            }),
        }
    }

    fn save(&self, key: &DbKey) -> Result<()> {
        std::fs::write(&self.path, key.as_bytes()).map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn generated_keys_differ_and_pragma_is_hex() {
        let a = DbKey::generate();
        let b = DbKey::generate();
        assert_ne!(a.as_bytes(), b.as_bytes());
        let p = a.pragma_value();
        assert_eq!(p.len(), 64 + 3);
        assert!(p.starts_with("x'") && p.ends_with('\''));
        assert_eq!(format!("{a:?}"), "DbKey(..)");
    }

    #[test]
    fn malformed_key_is_refused() {
        assert!(matches!(
            DbKey::from_bytes(&[1, 2, 3]),
            Err(Error::MalformedKey { len: 3 })
        ));
    }

    #[test]
    fn each_system_gets_its_persistent_store_by_default() {
        assert_eq!(
            choose_key_backend(Os::Linux, None).unwrap(),
            KeyBackend::SecretService
        );
        assert_eq!(
            choose_key_backend(Os::Windows, None).unwrap(),
            KeyBackend::WindowsCredentialManager
        );
        assert_eq!(
            choose_key_backend(Os::MacOs, Some("  ")).unwrap(),
            KeyBackend::MacOsKeychain
        );
        assert!(matches!(
            choose_key_backend(Os::Other, None),
            Err(Error::KeyStoreUnsupported { backend: None, .. })
        ));
    }

    #[test]
    fn linux_keyutils_is_chosen_only_when_asked_for() {
        assert_eq!(
            choose_key_backend(Os::Linux, Some("keyutils")).unwrap(),
            KeyBackend::KernelKeyutils
        );
        assert_eq!(
            choose_key_backend(Os::Linux, Some("secret-service")).unwrap(),
            KeyBackend::SecretService
        );
    }

    #[test]
    fn a_store_of_another_system_or_an_unknown_name_is_refused_not_replaced() {
        for (platform, setting) in [
            (Os::Windows, "keychain"),
            (Os::Windows, "secret-service"),
            (Os::MacOs, "windows"),
            (Os::MacOs, "keyutils"),
            (Os::Linux, "windows"),
        ] {
            let e = choose_key_backend(platform, Some(setting)).unwrap_err();
            assert_eq!(
                e.code(),
                "store.keystore_unsupported",
                "{platform:?} {setting}"
            );
            assert!(
                e.message_fr().contains(platform.name_fr()),
                "{}",
                e.message_fr()
            );
        }
        let e = choose_key_backend(Os::Linux, Some("kwallet")).unwrap_err();
        assert_eq!(e.code(), "store.unknown_key_store");
        assert!(e.message_fr().contains("« kwallet »"), "{}", e.message_fr());
        assert!(
            e.message_fr().contains("secret-service"),
            "{}",
            e.message_fr()
        );
    }

    #[test]
    fn every_backend_reads_back_from_its_setting() {
        for b in KeyBackend::ALL {
            assert_eq!(b.setting().parse::<KeyBackend>().unwrap(), b);
            assert_eq!(
                choose_key_backend(b.platform(), Some(b.setting())).unwrap(),
                b
            );
        }
    }

    #[test]
    fn a_store_of_another_system_is_not_opened_here() {
        let foreign = KeyBackend::ALL
            .into_iter()
            .find(|b| b.platform() != Os::current())
            .unwrap();
        match os_key_store(foreign, "x") {
            Err(e) => assert_eq!(e.code(), "store.keystore_unsupported"),
            Ok(_) => panic!("{foreign:?} opened on {:?}", Os::current()),
        }
    }

    #[test]
    fn file_store_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let ks = InsecureFileKeyStoreForTests::new(dir.path().join("k"));
        assert!(ks.load().unwrap().is_none());
        let k = DbKey::generate();
        ks.save(&k).unwrap();
        assert_eq!(ks.load().unwrap().unwrap().as_bytes(), k.as_bytes());
    }
}
