//! The recipient side of a deposit: consultations, delivery notices, returns, and the acts
//! as the recipient sees them.

use chrono::{DateTime, NaiveDate, Utc};

use super::deposits::{deposit_cols_of, deposit_row, DEPOSIT_COLS, DEPOSIT_COL_COUNT};
use super::{parse_ts, ts, DepositRow};
use crate::error::{storage, Result};
use crate::store::sql::Sql;

/// Deposits still awaiting consultation, served at or before `until`, oldest first.
pub fn awaiting_deposits(
    sql: &mut dyn Sql,
    until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DepositRow>> {
    let rows = sql.query(
        &format!(
            "SELECT {DEPOSIT_COLS} FROM deposits WHERE state = 'awaiting_consultation' \
             AND deposited_at <= $1 ORDER BY deposited_at, id LIMIT $2"
        ),
        &[ts(until).into(), limit.into()],
    )?;
    rows.iter().map(|r| deposit_row(r)).collect()
}

/// Deposits consulted but still awaiting their decision (a notice not filed yet, e.g. after a
/// crash), oldest consultation first.
pub fn consulted_undecided(sql: &mut dyn Sql, limit: i64) -> Result<Vec<DepositRow>> {
    let cols = deposit_cols_of("d");
    let rows = sql.query(
        &format!(
            "SELECT {cols} FROM deposits d JOIN consultations c ON c.deposit_id = d.id \
             WHERE d.state = 'awaiting_consultation' ORDER BY c.consulted_at, d.id LIMIT $1"
        ),
        &[limit.into()],
    )?;
    rows.iter().map(|r| deposit_row(r)).collect()
}

/// Records the first consultation of a deposit; `false` if one was already recorded.
pub fn insert_consultation(
    sql: &mut dyn Sql,
    deposit_id: &str,
    recipient_id: &str,
    at: DateTime<Utc>,
    channel: &str,
) -> Result<bool> {
    if consultation(sql, deposit_id)?.is_some() {
        return Ok(false);
    }
    sql.exec(
        "INSERT INTO consultations (deposit_id, recipient_id, consulted_at, channel) \
         VALUES ($1, $2, $3, $4)",
        &[
            deposit_id.into(),
            recipient_id.into(),
            ts(at).into(),
            channel.into(),
        ],
    )?;
    Ok(true)
}

/// The first consultation of a deposit, if any.
pub fn consultation(sql: &mut dyn Sql, deposit_id: &str) -> Result<Option<DateTime<Utc>>> {
    let rows = sql.query(
        "SELECT consulted_at FROM consultations WHERE deposit_id = $1",
        &[deposit_id.into()],
    )?;
    rows.first().map(|r| parse_ts(r[0].text())).transpose()
}

/// Moves a deposit out of `awaiting_consultation`; `false` if it had left it already.
pub fn set_delivery_state(sql: &mut dyn Sql, deposit_id: &str, state: &str) -> Result<bool> {
    let n = sql.exec(
        "UPDATE deposits SET state = $1 WHERE id = $2 AND state = 'awaiting_consultation'",
        &[state.into(), deposit_id.into()],
    )?;
    Ok(n == 1)
}

/// A delivery notice as stored.
#[derive(Debug, Clone)]
pub struct NoticeRow {
    /// Deposit.
    pub deposit_id: String,
    /// `in_person` or `at_home`.
    pub state: String,
    /// When the vault decided.
    pub decided_at: DateTime<Utc>,
    /// When the state became final (consultation, or deadline).
    pub effective_at: DateTime<Utc>,
    /// File name (`<act>_REMISE.pdf`).
    pub name: String,
    /// Path in the office's vault.
    pub path: String,
    /// SHA-256 of the PDF.
    pub sha256: String,
    /// Plain letter date (à domicile).
    pub letter_date: Option<NaiveDate>,
}

/// Records a delivery notice.
pub fn insert_notice(sql: &mut dyn Sql, n: &NoticeRow) -> Result<()> {
    sql.exec(
        "INSERT INTO delivery_notices (deposit_id, state, decided_at, effective_at, name, path, \
         sha256, letter_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            (&n.deposit_id).into(),
            (&n.state).into(),
            ts(n.decided_at).into(),
            ts(n.effective_at).into(),
            (&n.name).into(),
            (&n.path).into(),
            (&n.sha256).into(),
            n.letter_date.map(|d| d.to_string()).into(),
        ],
    )?;
    Ok(())
}

/// The delivery notice of a deposit, if decided.
pub fn notice(sql: &mut dyn Sql, deposit_id: &str) -> Result<Option<NoticeRow>> {
    let rows = sql.query(
        "SELECT deposit_id, state, decided_at, effective_at, name, path, sha256, letter_date \
         FROM delivery_notices WHERE deposit_id = $1",
        &[deposit_id.into()],
    )?;
    rows.first()
        .map(|r| {
            Ok(NoticeRow {
                deposit_id: r[0].text().into(),
                state: r[1].text().into(),
                decided_at: parse_ts(r[2].text())?,
                effective_at: parse_ts(r[3].text())?,
                name: r[4].text().into(),
                path: r[5].text().into(),
                sha256: r[6].text().into(),
                letter_date: r[7]
                    .opt_text()
                    .map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(storage))
                    .transpose()?,
            })
        })
        .transpose()
}

/// A recipient's return of an act, as stored.
#[derive(Debug, Clone)]
pub struct ReturnRow {
    /// Deposit answered.
    pub deposit_id: String,
    /// Recipient who answered.
    pub recipient_id: String,
    /// When the vault received it.
    pub deposited_at: DateTime<Utc>,
    /// File name (`<act>_<NATURE>.pdf`).
    pub name: String,
    /// Path in the office's vault.
    pub path: String,
    /// SHA-256 of the PDF.
    pub sha256: String,
    /// Size of the PDF.
    pub size: u64,
    /// SHA-256 of the structured answer (JSON), if any.
    pub answer_sha256: Option<String>,
}

/// Records a return; `false` if the deposit already has one.
pub fn insert_return(sql: &mut dyn Sql, r: &ReturnRow) -> Result<bool> {
    if act_return(sql, &r.deposit_id)?.is_some() {
        return Ok(false);
    }
    sql.exec(
        "INSERT INTO act_returns (deposit_id, recipient_id, deposited_at, name, path, sha256, \
         size, answer_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            (&r.deposit_id).into(),
            (&r.recipient_id).into(),
            ts(r.deposited_at).into(),
            (&r.name).into(),
            (&r.path).into(),
            (&r.sha256).into(),
            i64::try_from(r.size).unwrap_or(i64::MAX).into(),
            r.answer_sha256.clone().into(),
        ],
    )?;
    Ok(true)
}

/// The return of a deposit, if any.
pub fn act_return(sql: &mut dyn Sql, deposit_id: &str) -> Result<Option<ReturnRow>> {
    let rows = sql.query(
        "SELECT deposit_id, recipient_id, deposited_at, name, path, sha256, size, answer_sha256 \
         FROM act_returns WHERE deposit_id = $1",
        &[deposit_id.into()],
    )?;
    rows.first()
        .map(|r| {
            Ok(ReturnRow {
                deposit_id: r[0].text().into(),
                recipient_id: r[1].text().into(),
                deposited_at: parse_ts(r[2].text())?,
                name: r[3].text().into(),
                path: r[4].text().into(),
                sha256: r[5].text().into(),
                size: u64::try_from(r[6].int()).unwrap_or(0),
                answer_sha256: r[7].opt_text(),
            })
        })
        .transpose()
}

/// One act as the recipient sees it.
#[derive(Debug, Clone)]
pub struct RecipientAct {
    /// The deposit.
    pub deposit: DepositRow,
    /// First consultation, if any.
    pub consulted_at: Option<DateTime<Utc>>,
    /// Whether a return was deposited.
    pub returned: bool,
}

/// The recipient's deposits, newest first (at most `limit`).
pub fn recipient_acts(
    sql: &mut dyn Sql,
    recipient_id: &str,
    limit: i64,
) -> Result<Vec<RecipientAct>> {
    let cols = deposit_cols_of("d");
    let rows = sql.query(
        &format!(
            "SELECT {cols}, c.consulted_at, r.deposit_id FROM deposits d \
             LEFT JOIN consultations c ON c.deposit_id = d.id \
             LEFT JOIN act_returns r ON r.deposit_id = d.id \
             WHERE d.recipient_id = $1 ORDER BY d.deposited_at DESC, d.id LIMIT $2"
        ),
        &[recipient_id.into(), limit.into()],
    )?;
    rows.iter()
        .map(|r| {
            Ok(RecipientAct {
                deposit: deposit_row(r)?,
                consulted_at: r[DEPOSIT_COL_COUNT]
                    .opt_text()
                    .map(|s| parse_ts(&s))
                    .transpose()?,
                returned: r[DEPOSIT_COL_COUNT + 1].opt_text().is_some(),
            })
        })
        .collect()
}

/// The recipient's deposit with this id (another recipient's is `None`).
pub fn recipient_deposit(
    sql: &mut dyn Sql,
    recipient_id: &str,
    deposit_id: &str,
) -> Result<Option<DepositRow>> {
    let rows = sql.query(
        &format!("SELECT {DEPOSIT_COLS} FROM deposits WHERE recipient_id = $1 AND id = $2"),
        &[recipient_id.into(), deposit_id.into()],
    )?;
    rows.first().map(|r| deposit_row(r)).transpose()
}

/// SHA-256 (blob key) of one act filed in the recipient's vault.
pub fn recipient_file_sha(
    sql: &mut dyn Sql,
    recipient_id: &str,
    deposit_id: &str,
    name: &str,
) -> Result<Option<String>> {
    let rows = sql.query(
        "SELECT sha256 FROM recipient_files WHERE recipient_id = $1 AND deposit_id = $2 \
         AND name = $3",
        &[recipient_id.into(), deposit_id.into(), name.into()],
    )?;
    Ok(rows.first().map(|r| r[0].text().to_owned()))
}
