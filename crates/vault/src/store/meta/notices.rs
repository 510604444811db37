//! How each recipient is told of its acts (issue 21): its notice setting, the digests that
//! group the acts of one batch in one e-mail, and the office's contact shown in the notices.

use chrono::{DateTime, Utc};

use super::deposits::{deposit_row, DEPOSIT_COLS};
use super::schema::{add_column, create_index, parse_ts, ts};
use super::DepositRow;
use crate::error::Result;
use crate::store::sql::Sql;

/// Migration step 8: `recipients.notices` (the recipient's setting; nullable: none is "per
/// act", what every earlier recipient had), `notifications.digest_id` (the digest a deposit's
/// notice went in), the digests, and the office's phone and address in its declaration
/// (nullable: the operator may not know them).
pub(super) fn migrate_notices(sql: &mut dyn Sql) -> Result<()> {
    add_column(sql, "recipients", "notices", "TEXT")?;
    add_column(sql, "notifications", "digest_id", "TEXT")?;
    add_column(sql, "declared_offices", "phone", "TEXT")?;
    add_column(sql, "declared_offices", "address", "TEXT")?;
    sql.exec(
        "CREATE TABLE IF NOT EXISTS notice_digests (
            id TEXT PRIMARY KEY, recipient_id TEXT NOT NULL, office_id TEXT NOT NULL,
            opened_at TEXT NOT NULL, status TEXT NOT NULL, attempts BIGINT NOT NULL,
            next_at TEXT NOT NULL, last_error TEXT)",
        &[],
    )?;
    create_index(sql, "notice_digests_due", "notice_digests(status, next_at)")?;
    create_index(sql, "notifications_digest", "notifications(digest_id)")
}

/// The notice setting of recipient `id` as stored (`None`: not set, or no such recipient).
pub fn recipient_notices(sql: &mut dyn Sql, id: &str) -> Result<Option<String>> {
    let rows = sql.query("SELECT notices FROM recipients WHERE id = $1", &[id.into()])?;
    Ok(rows.first().and_then(|r| r[0].opt_text()))
}

/// Sets the notice setting of recipient `id`; `false` if there is no such recipient.
pub fn set_recipient_notices(sql: &mut dyn Sql, id: &str, notices: Option<&str>) -> Result<bool> {
    let n = sql.exec(
        "UPDATE recipients SET notices = $1 WHERE id = $2",
        &[notices.map(str::to_owned).into(), id.into()],
    )?;
    Ok(n > 0)
}

/// The open digest of `recipient_id` for acts of `office_id` still collecting at `now`
/// (opened, not yet due), if any.
pub fn open_digest(
    sql: &mut dyn Sql,
    recipient_id: &str,
    office_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let rows = sql.query(
        "SELECT id FROM notice_digests WHERE recipient_id = $1 AND office_id = $2 \
         AND status = 'open' AND next_at > $3 ORDER BY opened_at LIMIT 1",
        &[recipient_id.into(), office_id.into(), ts(now).into()],
    )?;
    Ok(rows.first().map(|r| r[0].text().to_owned()))
}

/// Opens a digest, due at `due`.
pub fn insert_digest(
    sql: &mut dyn Sql,
    id: &str,
    recipient_id: &str,
    office_id: &str,
    now: DateTime<Utc>,
    due: DateTime<Utc>,
) -> Result<()> {
    sql.exec(
        "INSERT INTO notice_digests (id, recipient_id, office_id, opened_at, status, attempts, \
         next_at) VALUES ($1, $2, $3, $4, 'open', 0, $5)",
        &[
            id.into(),
            recipient_id.into(),
            office_id.into(),
            ts(now).into(),
            ts(due).into(),
        ],
    )?;
    Ok(())
}

/// Puts the notice of `deposit_id` in digest `digest_id` (nothing if it has one already).
pub fn insert_digest_member(
    sql: &mut dyn Sql,
    deposit_id: &str,
    digest_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let exists = sql.query(
        "SELECT 1 FROM notifications WHERE deposit_id = $1 AND channel = 'digest'",
        &[deposit_id.into()],
    )?;
    if exists.is_empty() {
        sql.exec(
            "INSERT INTO notifications (deposit_id, channel, status, attempts, next_at, \
             digest_id) VALUES ($1, 'digest', 'grouped', 0, $2, $3)",
            &[deposit_id.into(), ts(now).into(), digest_id.into()],
        )?;
    }
    Ok(())
}

/// Digests due at `now`: open ones whose window has closed, and claimed ones waiting for
/// another attempt (or claimed before a crash).
pub fn due_digests(sql: &mut dyn Sql, now: DateTime<Utc>, limit: i64) -> Result<Vec<String>> {
    let rows = sql.query(
        "SELECT id FROM notice_digests WHERE status IN ('open', 'sending') AND next_at <= $1 \
         ORDER BY next_at LIMIT $2",
        &[ts(now).into(), limit.into()],
    )?;
    Ok(rows.iter().map(|r| r[0].text().to_owned()).collect())
}

/// A digest claimed for sending.
#[derive(Debug, Clone)]
pub struct DigestRow {
    /// Identifier (also the e-mail's Message-ID's left part).
    pub id: String,
    /// The recipient.
    pub recipient_id: String,
    /// The office whose acts it lists.
    pub office_id: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Its deposits, oldest first.
    pub deposits: Vec<DepositRow>,
}

/// Claims digest `id` for sending at `now`: from then on no deposit joins it (a new one opens
/// the next digest), and until `lease` no other claim takes it — another vault instance, or
/// this one after a restart, sends it again only once the lease is over (a crash after the
/// claim: at least once, never zero). `None` if it is sent, failed, or claimed by someone else
/// meanwhile.
pub fn claim_digest(
    sql: &mut dyn Sql,
    id: &str,
    now: DateTime<Utc>,
    lease: DateTime<Utc>,
) -> Result<Option<DigestRow>> {
    let claimed = sql.exec(
        "UPDATE notice_digests SET status = 'sending', next_at = $1          WHERE id = $2 AND status IN ('open', 'sending') AND next_at <= $3",
        &[ts(lease).into(), id.into(), ts(now).into()],
    )?;
    if claimed != 1 {
        return Ok(None);
    }
    let rows = sql.query(
        "SELECT recipient_id, office_id, attempts FROM notice_digests \
         WHERE id = $1 AND status = 'sending'",
        &[id.into()],
    )?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let (recipient_id, office_id, attempts) =
        (r[0].text().to_owned(), r[1].text().to_owned(), r[2].int());
    let rows = sql.query(
        &format!(
            "SELECT {DEPOSIT_COLS} FROM deposits WHERE id IN \
             (SELECT deposit_id FROM notifications WHERE digest_id = $1) \
             ORDER BY deposited_at, id"
        ),
        &[id.into()],
    )?;
    let deposits = rows
        .iter()
        .map(|r| deposit_row(r))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(DigestRow {
        id: id.to_owned(),
        recipient_id,
        office_id,
        attempts,
        deposits,
    }))
}

/// Schedules another attempt of a claimed digest.
pub fn retry_digest(
    sql: &mut dyn Sql,
    id: &str,
    attempts: i64,
    next_at: DateTime<Utc>,
    error: &str,
) -> Result<()> {
    sql.exec(
        "UPDATE notice_digests SET attempts = $1, next_at = $2, last_error = $3 WHERE id = $4",
        &[attempts.into(), ts(next_at).into(), error.into(), id.into()],
    )?;
    Ok(())
}

/// Marks a digest, and the notices of its deposits, `sent` or `failed`.
pub fn finish_digest(
    sql: &mut dyn Sql,
    id: &str,
    status: &str,
    attempts: i64,
    error: Option<&str>,
) -> Result<()> {
    sql.exec(
        "UPDATE notice_digests SET status = $1, attempts = $2, last_error = $3 WHERE id = $4",
        &[
            status.into(),
            attempts.into(),
            error.map(str::to_owned).into(),
            id.into(),
        ],
    )?;
    sql.exec(
        "UPDATE notifications SET status = $1, attempts = $2, last_error = $3 \
         WHERE digest_id = $4",
        &[
            status.into(),
            attempts.into(),
            error.map(str::to_owned).into(),
            id.into(),
        ],
    )?;
    Ok(())
}

/// The status and attempts of digest `id`.
pub fn digest_status(sql: &mut dyn Sql, id: &str) -> Result<Option<(String, i64)>> {
    let rows = sql.query(
        "SELECT status, attempts FROM notice_digests WHERE id = $1",
        &[id.into()],
    )?;
    Ok(rows.first().map(|r| (r[0].text().to_owned(), r[1].int())))
}

/// When the next open or claimed digest is due.
pub fn next_digest_at(sql: &mut dyn Sql) -> Result<Option<DateTime<Utc>>> {
    let rows = sql.query(
        "SELECT MIN(next_at) FROM notice_digests WHERE status IN ('open', 'sending')",
        &[],
    )?;
    rows.first()
        .and_then(|r| r[0].opt_text())
        .map(|s| parse_ts(&s))
        .transpose()
}

/// How to reach an office, as its operator declared it (each part only when known).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfficeContact {
    /// Phone number.
    pub phone: Option<String>,
    /// Postal address (one line).
    pub address: Option<String>,
}

/// The contact of the office whose vault id is `office_id`.
pub fn office_contact(sql: &mut dyn Sql, office_id: &str) -> Result<OfficeContact> {
    let rows = sql.query(
        "SELECT d.phone, d.address FROM declared_offices d JOIN offices o ON o.number = d.number \
         WHERE o.id = $1",
        &[office_id.into()],
    )?;
    Ok(rows
        .first()
        .map_or_else(OfficeContact::default, |r| OfficeContact {
            phone: r[0].opt_text(),
            address: r[1].opt_text(),
        }))
}

/// The contact of the declared office numbered `number`.
pub fn declared_office_contact(sql: &mut dyn Sql, number: &str) -> Result<OfficeContact> {
    let rows = sql.query(
        "SELECT phone, address FROM declared_offices WHERE number = $1",
        &[number.into()],
    )?;
    Ok(rows
        .first()
        .map_or_else(OfficeContact::default, |r| OfficeContact {
            phone: r[0].opt_text(),
            address: r[1].opt_text(),
        }))
}

/// Sets the contact of the declared office numbered `number` (each part: `None` keeps it,
/// `Some("")` forgets it); `false` if no office of that number is declared.
pub fn set_office_contact(
    sql: &mut dyn Sql,
    number: &str,
    phone: Option<&str>,
    address: Option<&str>,
) -> Result<bool> {
    let known = !sql
        .query(
            "SELECT 1 FROM declared_offices WHERE number = $1",
            &[number.into()],
        )?
        .is_empty();
    if !known {
        return Ok(false);
    }
    let value = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    if let Some(p) = phone {
        sql.exec(
            "UPDATE declared_offices SET phone = $1 WHERE number = $2",
            &[value(p).into(), number.into()],
        )?;
    }
    if let Some(a) = address {
        sql.exec(
            "UPDATE declared_offices SET address = $1 WHERE number = $2",
            &[value(a).into(), number.into()],
        )?;
    }
    Ok(true)
}
