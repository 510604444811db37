//! One server per data directory: `sceau-vault serve` (and `gc`, which deletes blobs) hold an
//! exclusive lock on `DATA/vault.lock` for their lifetime; the OS releases it when the process
//! ends, even by SIGKILL. Operator subcommands never take it: they open the metadata only (see
//! [`crate::OperatorStore`]) and never touch the spool, the pending notes or the blobs, so they
//! are safe beside a running server.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::{storage, Error, Result};

/// Name of the lock file in the data directory.
pub const LOCK_FILE: &str = "vault.lock";

/// The exclusive lock on a data directory, held while this value lives.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// Takes the lock on `data_dir`, or fails with [`Error::DataDirBusy`] when another process
    /// (a running server, a `gc`) holds it. Never waits.
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock> {
        std::fs::create_dir_all(data_dir).map_err(storage)?;
        let path = data_dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(DataDirLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(Error::DataDirBusy(data_dir.to_owned())),
            Err(TryLockError::Error(e)) => Err(Error::Config(format!("{}: {e}", path.display()))),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path()).unwrap();
        let second = DataDirLock::acquire(dir.path()).unwrap_err();
        assert_eq!(second.code(), "data_dir_busy");
        assert!(
            second.message_fr().contains("Arrêtez ce serveur"),
            "{}",
            second.message_fr()
        );
        drop(first);
        DataDirLock::acquire(dir.path()).unwrap();
    }
}
