//! The hash-chained evidence journal. Each line holds one `sceau_core::evidence::EvidenceRecord`
//! as its canonical bytes (lower-case hex; decoded strictly, so any changed byte is detected) and
//! the chain hash after it (`sceau_core::evidence::chain_hash`); lines are appended
//! inside the transaction of the step they prove, under the vault's commit lock, so the chain
//! has no gaps and no forks.

use chrono::{DateTime, Utc};
use sceau_core::evidence::{chain_hash, EvidenceEvent, EvidenceRecord, GENESIS};

use crate::error::{storage, Result};
use crate::store::meta::{self, JournalRow};
use crate::store::sql::{Metadata, Sql};

/// What a new journal line says, besides the record.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The evidence record.
    pub record: EvidenceRecord,
    /// Office concerned (feed filtering).
    pub office_id: Option<String>,
    /// French message for the history.
    pub message: String,
}

fn parse_hash(hex_str: &str) -> Option<[u8; 32]> {
    let v = hex::decode(hex_str).ok()?;
    v.try_into().ok()
}

/// Key of the PostgreSQL advisory lock that serialises journal appends across processes.
const APPEND_LOCK_KEY: i64 = 0x5CEA_0001;

/// Appends `entries` after the current head, in the caller's transaction; returns their seqs.
///
/// Whoever appends (the server under its commit lock, an operator command in another process)
/// follows the same writer rule: on SQLite the transaction is `IMMEDIATE` (one writer at a time
/// across processes); on PostgreSQL a transaction-scoped advisory lock is taken first, so two
/// processes never read the same head.
pub fn append(sql: &mut dyn Sql, entries: &[Entry]) -> Result<Vec<i64>> {
    if sql.dialect() == crate::store::sql::Dialect::Postgres {
        sql.exec(
            "SELECT pg_advisory_xact_lock($1)",
            &[APPEND_LOCK_KEY.into()],
        )?;
    }
    let head = meta::journal_head(sql)?;
    let (mut seq, mut prev) = match head {
        Some(h) => (
            h.seq,
            parse_hash(&h.hash).ok_or_else(|| storage("journal head hash unreadable"))?,
        ),
        None => (0, GENESIS),
    };
    let mut seqs = Vec::with_capacity(entries.len());
    for e in entries {
        seq += 1;
        let hash = chain_hash(&prev, &e.record);
        meta::insert_journal(
            sql,
            &JournalRow {
                seq,
                office_id: e.office_id.clone(),
                deposit_id: Some(e.record.deposit_id.clone()).filter(|d| !d.is_empty()),
                event: e.record.event.code().to_owned(),
                at: meta::ts(e.record.at),
                message: e.message.clone(),
                record: hex::encode(e.record.canonical_bytes()),
                hash: hex::encode(hash),
            },
        )?;
        prev = hash;
        seqs.push(seq);
    }
    Ok(seqs)
}

/// A new record with a fresh id.
pub fn record(
    event: EvidenceEvent,
    at: DateTime<Utc>,
    sender: &str,
    recipient: &str,
    deposit_id: &str,
    digests: Vec<(String, [u8; 32])>,
    reason: Option<String>,
) -> EvidenceRecord {
    EvidenceRecord {
        id: uuid::Uuid::new_v4().to_string(),
        event,
        at,
        sender: sender.into(),
        recipient: recipient.into(),
        deposit_id: deposit_id.into(),
        digests,
        reason,
    }
}

/// Decodes a stored record; `None` unless the text is exactly the lower-case hex of a canonical
/// encoding (the same function the offline proof check uses).
pub fn decode_record(text: &str) -> Option<EvidenceRecord> {
    sceau_cades::proof::decode_record_hex(text)
}

/// Outcome of a journal verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every line chains; `count` lines checked.
    Intact {
        /// Lines checked.
        count: u64,
    },
    /// The chain breaks at line `seq` (1-based).
    Broken {
        /// First line that does not verify.
        seq: i64,
    },
}

/// Checks the whole journal in batches (bounded memory). The next batch is read while the
/// current one is checked, and a batch is checked by several threads at once: each line is
/// checked against the *stored* hash of the line before it, which proves the same thing as
/// recomputing the chain from the start (by induction from the genesis hash), and reports the
/// same first broken line.
pub fn verify(meta_store: &dyn Metadata) -> Result<Verification> {
    const BATCH: i64 = 50_000;
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let read = |after: i64| {
        crate::store::sql::tx(meta_store, |sql| {
            meta::journal_chain_batch(sql, after, BATCH)
        })
    };
    let mut prev_hash = hex::encode(GENESIS);
    let mut after = 0i64;
    let mut count = 0u64;
    let mut batch = read(after)?;
    loop {
        if batch.is_empty() {
            return Ok(Verification::Intact { count });
        }
        // A gap (a deleted line) breaks the chain at the missing position.
        for (i, (seq, _, _)) in batch.iter().enumerate() {
            let want = after + 1 + i64::try_from(i).unwrap_or(i64::MAX);
            if *seq != want {
                return Ok(Verification::Broken { seq: want });
            }
        }
        let last = batch.last().map_or(after, |l| l.0);
        let (next, broken) = std::thread::scope(|s| {
            let reader = s.spawn(|| read(last));
            let broken = check_batch(&batch, &prev_hash, workers);
            (reader.join(), broken)
        });
        if let Some(seq) = broken {
            return Ok(Verification::Broken { seq });
        }
        prev_hash = batch.last().map(|l| l.2.clone()).unwrap_or_default();
        count += batch.len() as u64;
        after = last;
        batch = next.map_err(|_| storage("journal reader panicked"))??;
    }
}

/// The first line of `batch` whose stored hash is not the chain hash of its record after the
/// stored hash before it (`prev_hash` for the first line).
fn check_batch(batch: &[(i64, String, String)], prev_hash: &str, workers: usize) -> Option<i64> {
    let chunk = batch.len().div_ceil(workers.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = batch
            .chunks(chunk)
            .enumerate()
            .map(|(k, lines)| {
                let first_prev = if k == 0 {
                    prev_hash
                } else {
                    batch[k * chunk - 1].2.as_str()
                };
                s.spawn(move || {
                    let mut prev = first_prev;
                    for (seq, text, hash) in lines {
                        let ok = match (decode_record(text), parse_hash(prev)) {
                            (Some(record), Some(p)) => {
                                Some(chain_hash(&p, &record)) == parse_hash(hash)
                            }
                            _ => false,
                        };
                        if !ok {
                            return Some(*seq);
                        }
                        prev = hash;
                    }
                    None
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().ok().flatten())
            .min()
    })
}
