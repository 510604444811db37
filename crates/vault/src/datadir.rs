//! One server per data directory: `sceau-vault serve` (and `gc`, which deletes blobs) hold an
//! exclusive lock on `DATA/vault.lock` for their lifetime; the OS releases it when the process
//! ends, even by SIGKILL. Operator subcommands never take it: they open the metadata only (see
//! [`crate::OperatorStore`]) and never touch the spool, the pending notes or the blobs, so they
//! are safe beside a running server.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::{config, file_error, storage, ConfigError, Error, Result};

/// Mode of every directory the vault creates in its data directory.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file the vault creates in its data directory (the database, the
/// configuration with its SMTP/SMS/S3 passwords, the keys, the blobs).
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and its missing parents with mode 0700 from the start (never 0755 first).
pub fn private_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(DIR_MODE);
    }
    b.create(dir)
}

/// Options that create a file with mode 0600 from the start.
pub fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(FILE_MODE);
    }
    o
}

/// Writes `bytes` to `path`, created 0600 (an existing file is set to 0600 before it is
/// written: a secret never lands in a readable file).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    restrict(path, FILE_MODE)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Creates `path` empty with mode 0600 if it does not exist, else sets its mode to 0600.
pub fn ensure_private_file(path: &Path) -> std::io::Result<()> {
    private_options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    restrict(path, FILE_MODE)
}

/// Sets `path`'s mode (Unix; nothing elsewhere).
pub fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

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
        private_dir_all(data_dir).map_err(storage)?;
        let path = data_dir.join(LOCK_FILE);
        let file = private_options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(file_error(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(DataDirLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(Error::DataDirBusy(data_dir.to_owned())),
            Err(TryLockError::Error(source)) => Err(config(ConfigError::File { path, source })),
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
