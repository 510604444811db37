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

/// Makes the caller's transaction the only writer of the journal and of what is decided with
/// it across processes and vault instances (on PostgreSQL, the append's transaction-scoped
/// advisory lock, taken again harmlessly by [`append`]; on SQLite the `IMMEDIATE` transaction
/// is that already). A transaction that reads a queue then writes what it read (the notices to
/// create for new deposits) takes it first, so that two instances never both create them.
pub fn serialise(sql: &mut dyn Sql) -> Result<()> {
    if sql.dialect() == crate::store::sql::Dialect::Postgres {
        sql.exec(
            "SELECT pg_advisory_xact_lock($1)",
            &[APPEND_LOCK_KEY.into()],
        )?;
    }
    Ok(())
}

/// Appends `entries` after the current head, in the caller's transaction; returns their seqs.
///
/// Whoever appends (the server under its commit lock, an operator command in another process)
/// follows the same writer rule: on SQLite the transaction is `IMMEDIATE` (one writer at a time
/// across processes); on PostgreSQL a transaction-scoped advisory lock is taken first, so two
/// processes never read the same head.
pub fn append(sql: &mut dyn Sql, entries: &[Entry]) -> Result<Vec<i64>> {
    serialise(sql)?;
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

// ---------------------------------------------------------------------------------------------
// Checkpoints: the chain head sealed and time-stamped

/// Makes a checkpoint over the lines after the newest one, up to the head, if any: the
/// statement (range, head hash, Merkle root of the line hashes; see `sceau_cades::proof`),
/// sealed with `seal` and time-stamped with `tsa` at `at`, stored in the caller's transaction.
/// Returns it, or `None` when no line was added since the last checkpoint.
pub fn make_checkpoint(
    sql: &mut dyn Sql,
    seal: &crate::keys::KeyCert,
    tsa: &crate::keys::KeyCert,
    at: DateTime<Utc>,
) -> Result<Option<meta::CheckpointRow>> {
    use base64::Engine;
    // Same writer rule as appends: the head does not move while it is sealed.
    serialise(sql)?;
    let Some(head) = meta::journal_head(sql)? else {
        return Ok(None);
    };
    let first = meta::last_checkpoint(sql)?.map_or(1, |c| c.last_seq + 1);
    if head.seq < first {
        return Ok(None);
    }
    let leaves = line_leaves(sql, first, head.seq)?;
    let at = DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at);
    let statement = sceau_cades::proof::CheckpointStatement {
        first,
        last: head.seq,
        head: parse_hash(&head.hash).ok_or_else(|| storage("journal head hash unreadable"))?,
        root: sceau_cades::proof::merkle_root(&leaves),
        at,
    }
    .text();
    let b64 = base64::engine::general_purpose::STANDARD;
    let row = meta::CheckpointRow {
        first_seq: first,
        last_seq: head.seq,
        checkpoint: sceau_proto::JournalCheckpoint {
            seal: b64.encode(seal.seal(statement.as_bytes(), at)?),
            timestamp_token: b64.encode(tsa.timestamp_data(statement.as_bytes(), at)?),
            statement,
        },
    };
    meta::insert_checkpoint(sql, &row)?;
    Ok(Some(row))
}

/// Merkle leaves of the stored hashes of lines `first..=last` (a missing or unreadable line is
/// an error: the chain check reports it).
fn line_leaves(sql: &mut dyn Sql, first: i64, last: i64) -> Result<Vec<[u8; 32]>> {
    let rows = meta::journal_hashes(sql, first, last)?;
    if i64::try_from(rows.len()).ok() != Some(last - first + 1) {
        return Err(storage("journal lines missing under a checkpoint"));
    }
    rows.iter()
        .map(|(_, h)| {
            parse_hash(h)
                .map(|h| sceau_cades::proof::merkle_leaf(&h))
                .ok_or_else(|| storage("journal hash unreadable"))
        })
        .collect()
}

/// The checkpoint covering each of `seqs` (made now if a line is not covered yet), with each
/// line's inclusion path computed from the stored hashes — a proof bundle's `checkpoints`.
pub fn covering(
    sql: &mut dyn Sql,
    seqs: &[i64],
    seal: &crate::keys::KeyCert,
    tsa: &crate::keys::KeyCert,
    at: DateTime<Utc>,
) -> Result<Vec<sceau_proto::CoveringCheckpoint>> {
    let mut out: Vec<(meta::CheckpointRow, Vec<i64>)> = Vec::new();
    for &seq in seqs {
        if let Some((_, v)) = out
            .iter_mut()
            .find(|(c, _)| c.first_seq <= seq && seq <= c.last_seq)
        {
            v.push(seq);
            continue;
        }
        let c = match meta::checkpoint_covering(sql, seq)? {
            Some(c) => c,
            None => {
                make_checkpoint(sql, seal, tsa, at)?;
                meta::checkpoint_covering(sql, seq)?
                    .ok_or_else(|| storage("no checkpoint covers a journal line"))?
            }
        };
        out.push((c, vec![seq]));
    }
    let mut res = Vec::with_capacity(out.len());
    for (c, lines) in out {
        let leaves = line_leaves(sql, c.first_seq, c.last_seq)?;
        let inclusions = lines
            .into_iter()
            .map(|seq| sceau_proto::Inclusion {
                seq,
                path: sceau_cades::proof::merkle_path(
                    usize::try_from(seq - c.first_seq).unwrap_or(usize::MAX),
                    &leaves,
                )
                .iter()
                .map(hex::encode)
                .collect(),
            })
            .collect();
        res.push(sceau_proto::CoveringCheckpoint {
            checkpoint: c.checkpoint,
            inclusions,
        });
    }
    Ok(res)
}

/// Outcome of the check of the journal's checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointVerification {
    /// Every checkpoint is the vault's and its lines are those it sealed.
    Sealed {
        /// Checkpoints checked.
        checkpoints: u64,
        /// Lines covered (`1..=sealed`); later lines await the next checkpoint.
        sealed: i64,
    },
    /// A checkpoint's lines are not those it sealed: the journal was rewritten after it (even
    /// if the chain was recomputed).
    Rewritten {
        /// First line of the checkpoint.
        first: i64,
        /// Last line of the checkpoint.
        last: i64,
    },
    /// A checkpoint is not the vault's (seal, time-stamp or statement), or checkpoints are
    /// missing between two others.
    Invalid {
        /// Last line of the checkpoint (or first line not covered).
        last: i64,
        /// Why (`sceau_cades::proof::ProofFailure` code, or `checkpoint_missing`).
        code: &'static str,
    },
}

impl CheckpointVerification {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CheckpointVerification::Sealed { .. } => "sealed",
            CheckpointVerification::Rewritten { .. } => "journal_rewritten",
            CheckpointVerification::Invalid { code, .. } => code,
        }
    }

    /// A French sentence for the operator: what was found and what to do.
    pub fn message_fr(&self) -> String {
        match self {
            CheckpointVerification::Sealed {
                checkpoints,
                sealed,
            } => format!(
                "{checkpoints} point(s) de contrôle scellé(s) et horodaté(s) vérifié(s), entrées \
                 1 à {sealed} conformes"
            ),
            CheckpointVerification::Rewritten { first, last } => format!(
                "historique RÉÉCRIT : les entrées n° {first} à {last} ne sont plus celles que le \
                 coffre a scellées dans son point de contrôle (même si la chaîne a été \
                 recalculée). Arrêtez le coffre, conservez la base en l'état et comparez-la à une \
                 sauvegarde et aux points de contrôle reçus par les études."
            ),
            CheckpointVerification::Invalid { last, code } => format!(
                "point de contrôle n° {last} invalide ({code}) : il n'a pas été scellé et \
                 horodaté par ce coffre, ou il manque. Conservez la base en l'état et comparez-la \
                 à une sauvegarde."
            ),
        }
    }
}

/// Checks every checkpoint: seal and time-stamp by the vault (`ca`), contiguous ranges from
/// line 1, and the Merkle root and head recomputed from the stored line hashes.
pub fn verify_checkpoints(
    meta_store: &dyn Metadata,
    ca: &x509_cert::Certificate,
) -> Result<CheckpointVerification> {
    let mut after = 0i64;
    let mut count = 0u64;
    loop {
        let batch =
            crate::store::sql::read_tx(meta_store, |sql| meta::checkpoints_after(sql, after, 100))?;
        if batch.is_empty() {
            return Ok(CheckpointVerification::Sealed {
                checkpoints: count,
                sealed: after,
            });
        }
        for c in batch {
            let st = match sceau_cades::proof::verify_checkpoint(&c.checkpoint, ca) {
                Ok(st) => st,
                Err(f) => {
                    return Ok(CheckpointVerification::Invalid {
                        last: c.last_seq,
                        code: f.code(),
                    })
                }
            };
            if c.first_seq != after + 1 {
                return Ok(CheckpointVerification::Invalid {
                    last: after + 1,
                    code: "checkpoint_missing",
                });
            }
            if st.first != c.first_seq || st.last != c.last_seq {
                return Ok(CheckpointVerification::Invalid {
                    last: c.last_seq,
                    code: "checkpoint_malformed",
                });
            }
            let (first, last) = (st.first, st.last);
            let hashes = crate::store::sql::read_tx(meta_store, |sql| {
                meta::journal_hashes(sql, first, last)
            })?;
            let leaves: Option<Vec<[u8; 32]>> = hashes
                .iter()
                .map(|(_, h)| parse_hash(h).map(|h| sceau_cades::proof::merkle_leaf(&h)))
                .collect();
            let intact = match leaves {
                Some(leaves) => {
                    i64::try_from(leaves.len()).ok() == Some(last - first + 1)
                        && sceau_cades::proof::merkle_root(&leaves) == st.root
                        && hashes.last().and_then(|(_, h)| parse_hash(h)) == Some(st.head)
                }
                None => false,
            };
            if !intact {
                return Ok(CheckpointVerification::Rewritten { first, last });
            }
            after = last;
            count += 1;
        }
    }
}

/// Makes a checkpoint now if lines were added since the last one (the server's periodic task,
/// and a proof asked for uncovered lines). Serialised with deposit commits.
pub async fn checkpoint_now(vault: &std::sync::Arc<crate::Vault>) -> Result<Option<i64>> {
    let _guard = vault.commit_lock.lock().await;
    let v = vault.clone();
    let at = vault.clock.now();
    vault
        .db(move |sql| Ok(make_checkpoint(sql, &v.seal, &v.tsa, at)?.map(|c| c.last_seq)))
        .await
}

/// The server's checkpoint task: one checkpoint every `every` when the journal moved.
pub async fn run_checkpoints(vault: std::sync::Arc<crate::Vault>, every: std::time::Duration) {
    loop {
        tokio::time::sleep(every.max(std::time::Duration::from_secs(1))).await;
        match checkpoint_now(&vault).await {
            Ok(Some(last)) => {
                tracing::info!(last, "journal checkpoint sealed and time-stamped");
                vault.feed.notify_waiters();
            }
            Ok(None) => {}
            Err(e) => tracing::error!(code = e.code(), detail = %e, "journal checkpoint"),
        }
    }
}
