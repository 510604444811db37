//! Garbage collection of blobs written by uploads that never committed, and of the blobs of
//! files an office deleted from its vault.
//!
//! A deposit writes its blobs before the metadata transaction that references them (so that a
//! committed deposit never points at a missing blob). Before writing them it records their names
//! in a *pending* note (a file of `DATA/pending/`, reused from a pool: see
//! [`crate::store::pool`]), emptied once its transaction has committed. A non-empty note at
//! start belongs to an upload that died (SIGKILL, power loss) or whose commit failed: each blob it names is deleted unless a committed row references it — the same bytes
//! may belong to a committed deposit (a retry of the same package, the same act sent twice).
//!
//! Collection runs when the vault opens, before it serves (so no upload is in flight that could
//! be about to reference a candidate), and by `sceau-vault gc` with the server stopped. Notes are
//! not fsync'd: a note lost with the page cache (power loss, not SIGKILL) leaves a blob behind —
//! wasted space, never a missing blob. Temporary files of interrupted blob writes are removed
//! too. Only blobs named by a note are ever candidates: a blob written any other way (the
//! recipient side's) is never touched. A deletion in an office's vault leaves a note naming
//! the deleted files' blobs ([`PendingNote::leave_for_collection`]): collected at the next
//! start, each only if no row references it any more.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{storage, Result};
use crate::store::blobs::Blobs;
use crate::store::pool::{FilePool, PooledFile};
use crate::store::sql::{Metadata, Sql};

/// Every column that references a blob by its SHA-256. A table that stores blob names must be
/// listed here, or its blobs could be collected after a crash that wrote the same bytes.
pub const BLOB_REFERENCES: &[(&str, &str)] =
    &[("recipient_files", "sha256"), ("vault_entries", "sha256")];

/// Where pending notes live.
pub fn pending_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("pending")
}

/// The note of one upload in progress: written before its blobs, emptied after its commit.
/// Dropped without [`committed`](Self::committed) (an error, a lost race), it stays as it is
/// for the next collection.
#[derive(Debug)]
pub struct PendingNote {
    file: Option<PooledFile>,
}

impl PendingNote {
    /// Records in a note of `pool` that blobs `sha256s` are about to be written.
    pub fn write(pool: &Arc<FilePool>, sha256s: &[String]) -> Result<Self> {
        let file = pool.take()?;
        std::fs::write(file.path(), sha256s.join("\n")).map_err(storage)?;
        Ok(PendingNote { file: Some(file) })
    }

    /// Leaves the note for the next collection: blobs that a committed deletion may have left
    /// unreferenced (files the office deleted from its vault). They cannot be deleted at once:
    /// an upload of the same bytes may have written the blob and be waiting to commit.
    pub fn leave_for_collection(self) {
        drop(self);
    }

    /// The upload committed: its blobs are referenced; the note is emptied for reuse.
    pub fn committed(mut self) {
        drop(self.file.take());
    }
}

impl Drop for PendingNote {
    fn drop(&mut self) {
        // Not committed: keep the note's content (and keep the file out of the pool).
        if let Some(f) = self.file.take() {
            std::mem::forget(f);
        }
    }
}

fn referenced(sql: &mut dyn Sql, sha256: &str) -> Result<bool> {
    for (table, column) in BLOB_REFERENCES {
        let rows = sql.query(
            &format!("SELECT 1 FROM {table} WHERE {column} = $1 LIMIT 1"),
            &[sha256.into()],
        )?;
        if !rows.is_empty() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// What a collection did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collected {
    /// Notes of interrupted uploads found.
    pub notes: usize,
    /// Blobs deleted (unreferenced).
    pub deleted: usize,
    /// Blobs named by a note but referenced by a committed row, kept.
    pub kept: usize,
}

/// Collects the blobs of interrupted uploads. Must not run while uploads are in flight.
pub async fn collect(
    data_dir: &Path,
    meta: Arc<dyn Metadata>,
    blobs: &dyn Blobs,
) -> Result<Collected> {
    let mut out = Collected::default();
    let dir = pending_dir(data_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(storage(e)),
    };
    for entry in entries {
        let path = entry.map_err(storage)?.path();
        let text = std::fs::read_to_string(&path).map_err(storage)?;
        if text.trim().is_empty() {
            // An idle note of the pool.
            std::fs::remove_file(&path).map_err(storage)?;
            continue;
        }
        out.notes += 1;
        for sha in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (s, m) = (sha.to_owned(), meta.clone());
            // The PostgreSQL client blocks: off the async threads.
            let keep = tokio::task::spawn_blocking(move || {
                crate::store::sql::tx(m.as_ref(), |sql| referenced(sql, &s))
            })
            .await
            .map_err(storage)??;
            if keep {
                out.kept += 1;
            } else if blobs.delete(sha).await? {
                out.deleted += 1;
            }
        }
        std::fs::remove_file(&path).map_err(storage)?;
    }
    blobs.clean_temporary().await?;
    if out.notes > 0 {
        tracing::info!(
            notes = out.notes,
            deleted = out.deleted,
            kept = out.kept,
            "blobs of interrupted uploads collected"
        );
    }
    Ok(out)
}
