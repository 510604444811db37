//! The workstation's local store: an SQLite database encrypted with SQLCipher (key in the OS
//! credential store) holding services, their documents and history, the dashboard's
//! notifications, the search index, the durable outbox, the recipients and consents cache, the
//! session log and settings.
//!
//! One [`Store`] owns one connection; the application service serialises access to it (a
//! connection is `Send`, not `Sync`). Every multi-row change is one transaction, so a crash
//! leaves the database as it was before or after the change, never in between.

mod cache;
mod dashboard;
mod error;
mod key;
mod outbox;
mod query;
mod schema;
mod sealed;
mod services;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags};

pub use cache::{Consent, Recipient, SessionEntry};
pub use dashboard::{DashboardCounts, DashboardFilter, Notification};
pub use error::{Error, Result};
#[cfg(target_os = "linux")]
pub use key::join_session_keyring;
#[cfg(target_os = "linux")]
pub use key::SecretServiceKeyStore;
pub use key::{
    choose_key_backend, os_key_store, DbKey, InsecureFileKeyStoreForTests, KeyBackend, KeyStore,
    OsKeyStore, KEYRING_SERVICE,
};
pub use outbox::{OutboxItem, OutboxRow, OutboxState};
pub use schema::LATEST_VERSION;
pub use sealed::FileSeal;
pub use services::{
    Batch, Document, HistoryLine, NewDocument, NewService, SearchCriteria, SearchSort, Service,
    ServiceId, SortKey, Source,
};

/// Rows per page on the dashboard and in search results (the manual's page size).
pub const PAGE_SIZE: usize = 10;

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows of this page (at most [`PAGE_SIZE`]).
    pub items: Vec<T>,
    /// Page number, from 0.
    pub page: usize,
    /// Whether a next page exists (counting every match of a broad search over a million rows
    /// would cost more than the page itself).
    pub has_more: bool,
}

/// The local database, open and migrated.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    seal: std::sync::Arc<FileSeal>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// The page cache of the store, in KiB (see [`Store::set_cache_kib`]).
pub const CACHE_KIB: i64 = 65536;
/// The page cache while a batch writes (SQLite's default): the rows of thousands of services
/// it will not read back would otherwise fill the cache, and the memory of a 3,000-line batch
/// would grow with its size.
pub const BATCH_CACHE_KIB: i64 = 2048;

impl Store {
    /// Sets the page cache to `kib` KiB ([`CACHE_KIB`] normally, [`BATCH_CACHE_KIB`] while a
    /// batch writes); pages over the new size are freed.
    pub fn set_cache_kib(&self, kib: i64) -> Result<()> {
        self.conn.pragma_update(None, "cache_size", -kib)?;
        Ok(())
    }

    /// Opens the database at `path` with the key from `keys`, creating both on first use.
    ///
    /// An existing file is never recreated: without its key this fails with
    /// [`Error::KeyMissing`], with another key with [`Error::WrongKey`], and the file is left
    /// untouched in both cases.
    pub fn open(path: impl AsRef<Path>, keys: &dyn KeyStore) -> Result<Self> {
        Self::open_at_version(path.as_ref(), keys, LATEST_VERSION)
    }

    /// Opens and migrates up to `version` only: for migration tests.
    #[doc(hidden)]
    pub fn open_at_version(path: &Path, keys: &dyn KeyStore, version: i64) -> Result<Self> {
        let exists = database_exists(path)?;
        let key = match (exists, keys.load()?) {
            (true, Some(key)) => key,
            (true, None) => {
                return Err(Error::KeyMissing {
                    path: path.to_path_buf(),
                })
            }
            (false, Some(key)) => key,
            (false, None) => {
                // Save the key before the database exists, so that no database can be
                // written whose key was not kept.
                let key = DbKey::generate();
                keys.save(&key)?;
                key
            }
        };
        let flags = if exists {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let mut conn = Connection::open_with_flags(path, flags)?;
        // SQLCipher would print its own decryption errors on stderr; we report them as
        // `WrongKey`, through the application's logging.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        conn.pragma_update(None, "key", key.pragma_value().as_str())?;
        let seal = std::sync::Arc::new(FileSeal::derive(&key));
        drop(key);
        // The first read decides: SQLCipher accepts any key and fails here if it is wrong.
        // Nothing has been written yet at this point.
        if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(())) {
            return Err(match e.sqlite_error_code() {
                Some(ErrorCode::NotADatabase) => Error::WrongKey {
                    path: path.to_path_buf(),
                },
                _ => Error::Sqlite(e),
            });
        }
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a committed outbox transition survives a power cut, not only a process crash.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 64 MiB of decrypted pages: with SQLCipher a page-cache miss costs a decryption, and
        // the default 2 MiB cache is small for a store of a million services.
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        schema::migrate_to(&mut conn, version)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            seal,
        })
    }

    /// The seal of the workstation's files (outbox, archives), from the same key.
    pub fn file_seal(&self) -> std::sync::Arc<FileSeal> {
        self.seal.clone()
    }

    /// Runs raw SQL: for migration tests that must write rows the way an older version did.
    #[doc(hidden)]
    pub fn execute_raw_for_tests(&self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql)?;
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        schema::current_version(&self.conn)
    }

    /// Writes the WAL back into the main file (on quit; also makes raw-file tests meaningful).
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}

fn database_exists(path: &Path) -> Result<bool> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(m.len() > 0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(Error::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// A stored instant back to a `DateTime` (stored values are always in range; clamp otherwise).
pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Case- and accent-insensitive form of a text for prefix search: lower case, French accents
/// folded, spaces collapsed.
pub(crate) fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ÿ' => 'y',
            'œ' => {
                out.push('o');
                'e'
            }
            'æ' => {
                out.push('a');
                'e'
            }
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The exclusive upper bound of the prefix range `[p, prefix_end(p))` (binary collation):
/// `col >= p AND col < p || U+10FFFF` uses an index where `LIKE 'p%'` would not.
pub(crate) fn prefix_end(p: &str) -> String {
    let mut s = String::with_capacity(p.len() + 4);
    s.push_str(p);
    s.push(char::MAX);
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_runs_with_the_small_cache_and_the_usual_one_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let keys = InsecureFileKeyStoreForTests::new(dir.path().join("key.bin"));
        let store = Store::open(dir.path().join("s.db"), &keys).unwrap();
        let cache = |s: &Store| -> i64 {
            s.conn
                .query_row("PRAGMA cache_size", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(cache(&store), -CACHE_KIB);
        store.set_cache_kib(BATCH_CACHE_KIB).unwrap();
        assert_eq!(cache(&store), -BATCH_CACHE_KIB);
        store.set_cache_kib(CACHE_KIB).unwrap();
        assert_eq!(cache(&store), -CACHE_KIB);
    }

    #[test]
    fn normalize_folds_case_accents_and_spaces() {
        assert_eq!(normalize("  Société  Générale "), "societe generale");
        assert_eq!(normalize("ŒUVRE Ça"), "oeuvre ca");
        assert_eq!(normalize("REF-2024/001"), "ref-2024/001");
    }

    #[test]
    fn prefix_range_contains_extensions_only() {
        let end = prefix_end("ban");
        assert!("ban" < end.as_str() && "banque test" < end.as_str());
        assert!("bao" > end.as_str());
    }
}
