//! The hash-chained evidence journal. Each line holds one `sceau_core::evidence::EvidenceRecord`
//! as its canonical bytes (lower-case hex; decoded strictly, so any changed byte is detected) and
//! the chain hash after it (`sceau_core::evidence::chain_hash`); lines are appended
//! inside the transaction of the step they prove, under the vault's commit lock, so the chain
//! has no gaps and no forks.

use chrono::{DateTime, Utc};
use sceau_core::evidence::{chain_hash, decode_canonical, EvidenceEvent, EvidenceRecord, GENESIS};

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

/// Appends `entries` after the current head, in the caller's transaction; returns their seqs.
pub fn append(sql: &mut dyn Sql, entries: &[Entry]) -> Result<Vec<i64>> {
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
/// encoding.
pub fn decode_record(text: &str) -> Option<EvidenceRecord> {
    // Upper-case digits would decode to the same bytes: refuse them, so every byte counts.
    if !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    decode_canonical(&hex::decode(text).ok()?).ok()
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

/// Checks the whole journal in batches (bounded memory).
pub fn verify(meta_store: &dyn Metadata) -> Result<Verification> {
    const BATCH: i64 = 20_000;
    let mut prev = GENESIS;
    let mut after = 0i64;
    let mut count = 0u64;
    loop {
        let rows = crate::store::sql::tx(meta_store, |sql| {
            meta::journal_chain_batch(sql, after, BATCH)
        })?;
        if rows.is_empty() {
            return Ok(Verification::Intact { count });
        }
        for (seq, text, hash) in &rows {
            // A gap, an unreadable record or a hash mismatch are all breaks of the chain.
            if *seq != after + 1 {
                return Ok(Verification::Broken { seq: after + 1 });
            }
            let Some(record) = decode_record(text) else {
                return Ok(Verification::Broken { seq: *seq });
            };
            let expected = chain_hash(&prev, &record);
            if Some(expected) != parse_hash(hash) {
                return Ok(Verification::Broken { seq: *seq });
            }
            prev = expected;
            after = *seq;
            count += 1;
        }
    }
}
