//! Reusable scratch files: the upload spools and the pending notes of the garbage collector.
//!
//! Creating and deleting a file per deposit was measured as the vault's largest kernel cost:
//! on ext4 every new inode is searched past the recently deleted ones, so the churn of
//! thousands of short-lived files made each creation slower (`recently_deleted` in the
//! profile). A pool keeps its files: a released file is truncated to zero and handed to the
//! next request, so steady traffic creates no file and deletes none.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::error::{storage, Result};

/// A directory of reusable files.
#[derive(Debug)]
pub struct FilePool {
    dir: PathBuf,
    idle: Mutex<Vec<PathBuf>>,
}

/// A file taken from a pool, truncated and returned to it when dropped.
#[derive(Debug)]
pub struct PooledFile {
    path: PathBuf,
    pool: Arc<FilePool>,
}

impl FilePool {
    /// A pool of files in `dir` (created if needed). Files already there are not reused.
    pub fn new(dir: &Path) -> Result<Arc<Self>> {
        crate::datadir::private_dir_all(dir).map_err(storage)?;
        Ok(Arc::new(FilePool {
            dir: dir.to_owned(),
            idle: Mutex::new(Vec::new()),
        }))
    }

    /// An empty file of the pool.
    pub fn take(self: &Arc<Self>) -> Result<PooledFile> {
        let reused = self.idle.lock().ok().and_then(|mut i| i.pop());
        let path = match reused {
            Some(p) => p,
            None => {
                let p = self.dir.join(uuid::Uuid::new_v4().to_string());
                crate::datadir::private_options()
                    .write(true)
                    .create_new(true)
                    .open(&p)
                    .map_err(storage)?;
                p
            }
        };
        Ok(PooledFile {
            path,
            pool: self.clone(),
        })
    }
}

impl PooledFile {
    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PooledFile {
    fn drop(&mut self) {
        // Truncated (not deleted) before it goes back: an idle file holds nothing.
        let emptied = std::fs::OpenOptions::new()
            .write(true)
            .open(&self.path)
            .and_then(|f| f.set_len(0));
        match emptied {
            Ok(()) => {
                if let Ok(mut idle) = self.pool.idle.lock() {
                    idle.push(std::mem::take(&mut self.path));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "pooled file not emptied: removed");
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}
