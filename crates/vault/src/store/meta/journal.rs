//! The hash-chained journal and its checkpoints.

use crate::error::Result;
use crate::store::sql::{Sql, Val};

/// One journal line as stored.
#[derive(Debug, Clone)]
pub struct JournalRow {
    /// Position (1-based, gapless).
    pub seq: i64,
    /// Office concerned.
    pub office_id: Option<String>,
    /// Deposit concerned.
    pub deposit_id: Option<String>,
    /// Event name.
    pub event: String,
    /// Event time.
    pub at: String,
    /// French message.
    pub message: String,
    /// Canonical JSON of the evidence record.
    pub record: String,
    /// Chain hash after this record.
    pub hash: String,
}

const JOURNAL_COLS: &str = "seq, office_id, deposit_id, event, at, message, record, hash";

fn journal_row(r: &[Val]) -> JournalRow {
    JournalRow {
        seq: r[0].int(),
        office_id: r[1].opt_text(),
        deposit_id: r[2].opt_text(),
        event: r[3].text().into(),
        at: r[4].text().into(),
        message: r[5].text().into(),
        record: r[6].text().into(),
        hash: r[7].text().into(),
    }
}

/// The last journal line (for chaining).
pub fn journal_head(sql: &mut dyn Sql) -> Result<Option<JournalRow>> {
    let rows = sql.query(
        &format!("SELECT {JOURNAL_COLS} FROM journal ORDER BY seq DESC LIMIT 1"),
        &[],
    )?;
    Ok(rows.first().map(|r| journal_row(r)))
}

/// Appends a journal line.
pub fn insert_journal(sql: &mut dyn Sql, j: &JournalRow) -> Result<()> {
    sql.exec(
        &format!("INSERT INTO journal ({JOURNAL_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
        &[
            j.seq.into(),
            j.office_id.clone().into(),
            j.deposit_id.clone().into(),
            (&j.event).into(),
            (&j.at).into(),
            (&j.message).into(),
            (&j.record).into(),
            (&j.hash).into(),
        ],
    )?;
    Ok(())
}

/// Journal lines of one office after `after`, at most `limit`.
pub fn office_journal(
    sql: &mut dyn Sql,
    office_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<JournalRow>> {
    let rows = sql.query(
        &format!(
            "SELECT {JOURNAL_COLS} FROM journal WHERE office_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3"
        ),
        &[office_id.into(), after.into(), limit.into()],
    )?;
    Ok(rows.iter().map(|r| journal_row(r)).collect())
}

/// Journal lines of one deposit.
pub fn deposit_journal(sql: &mut dyn Sql, deposit_id: &str) -> Result<Vec<JournalRow>> {
    let rows = sql.query(
        &format!("SELECT {JOURNAL_COLS} FROM journal WHERE deposit_id = $1 ORDER BY seq"),
        &[deposit_id.into()],
    )?;
    Ok(rows.iter().map(|r| journal_row(r)).collect())
}

/// A journal checkpoint as stored (`sceau_proto::JournalCheckpoint` with its range).
#[derive(Debug, Clone)]
pub struct CheckpointRow {
    /// First line covered.
    pub first_seq: i64,
    /// Last line covered.
    pub last_seq: i64,
    /// The checkpoint.
    pub checkpoint: sceau_proto::JournalCheckpoint,
}

const CHECKPOINT_COLS: &str = "first_seq, last_seq, statement, seal, timestamp_token";

fn checkpoint_row(r: &[Val]) -> CheckpointRow {
    CheckpointRow {
        first_seq: r[0].int(),
        last_seq: r[1].int(),
        checkpoint: sceau_proto::JournalCheckpoint {
            statement: r[2].text().into(),
            seal: r[3].text().into(),
            timestamp_token: r[4].text().into(),
        },
    }
}

/// The newest checkpoint.
pub fn last_checkpoint(sql: &mut dyn Sql) -> Result<Option<CheckpointRow>> {
    let rows = sql.query(
        &format!(
            "SELECT {CHECKPOINT_COLS} FROM journal_checkpoints ORDER BY last_seq DESC LIMIT 1"
        ),
        &[],
    )?;
    Ok(rows.first().map(|r| checkpoint_row(r)))
}

/// The checkpoint covering line `seq`.
pub fn checkpoint_covering(sql: &mut dyn Sql, seq: i64) -> Result<Option<CheckpointRow>> {
    let rows = sql.query(
        &format!(
            "SELECT {CHECKPOINT_COLS} FROM journal_checkpoints WHERE first_seq <= $1 \
             AND last_seq >= $1"
        ),
        &[seq.into()],
    )?;
    Ok(rows.first().map(|r| checkpoint_row(r)))
}

/// Checkpoints whose last line is after `after`, oldest first, at most `limit`.
pub fn checkpoints_after(sql: &mut dyn Sql, after: i64, limit: i64) -> Result<Vec<CheckpointRow>> {
    let rows = sql.query(
        &format!(
            "SELECT {CHECKPOINT_COLS} FROM journal_checkpoints WHERE last_seq > $1 \
             ORDER BY last_seq LIMIT $2"
        ),
        &[after.into(), limit.into()],
    )?;
    Ok(rows.iter().map(|r| checkpoint_row(r)).collect())
}

/// Stores a checkpoint.
pub fn insert_checkpoint(sql: &mut dyn Sql, c: &CheckpointRow) -> Result<()> {
    sql.exec(
        &format!("INSERT INTO journal_checkpoints ({CHECKPOINT_COLS}) VALUES ($1, $2, $3, $4, $5)"),
        &[
            c.first_seq.into(),
            c.last_seq.into(),
            (&c.checkpoint.statement).into(),
            (&c.checkpoint.seal).into(),
            (&c.checkpoint.timestamp_token).into(),
        ],
    )?;
    Ok(())
}

/// (seq, hash) of journal lines `first..=last`, in order.
pub fn journal_hashes(sql: &mut dyn Sql, first: i64, last: i64) -> Result<Vec<(i64, String)>> {
    let rows = sql.query(
        "SELECT seq, hash FROM journal WHERE seq >= $1 AND seq <= $2 ORDER BY seq",
        &[first.into(), last.into()],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| (r[0].int(), r[1].text().to_owned()))
        .collect())
}

/// (seq, record, hash) of journal lines after `after`: what verification reads.
pub fn journal_chain_batch(
    sql: &mut dyn Sql,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String)>> {
    let rows = sql.query(
        "SELECT seq, record, hash FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2",
        &[after.into(), limit.into()],
    )?;
    Ok(rows
        .into_iter()
        .map(|mut r| {
            let hash = std::mem::replace(&mut r[2], Val::Null);
            let record = std::mem::replace(&mut r[1], Val::Null);
            (
                r[0].int(),
                record.opt_text().unwrap_or_default(),
                hash.opt_text().unwrap_or_default(),
            )
        })
        .collect())
}
