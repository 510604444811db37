//! Notifications of new deposits to recipients (e-mail, SMS), with their retries.

use chrono::{DateTime, Utc};

use super::deposits::{deposit_row, DEPOSIT_COLS};
use super::{parse_ts, ts, DepositRow};
use crate::error::Result;
use crate::store::sql::Sql;

/// Accepted deposits since `since` that have no notification rows yet, oldest first.
pub fn deposits_without_notification(
    sql: &mut dyn Sql,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DepositRow>> {
    let rows = sql.query(
        &format!(
            "SELECT {DEPOSIT_COLS} FROM deposits d WHERE deposited_at >= $1 AND NOT EXISTS \
             (SELECT 1 FROM notifications n WHERE n.deposit_id = d.id) \
             ORDER BY deposited_at, id LIMIT $2"
        ),
        &[ts(since).into(), limit.into()],
    )?;
    rows.iter().map(|r| deposit_row(r)).collect()
}

/// Queues a notification (pending, due at `now`); nothing if it exists.
pub fn insert_notification(
    sql: &mut dyn Sql,
    deposit_id: &str,
    channel: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let exists = sql.query(
        "SELECT 1 FROM notifications WHERE deposit_id = $1 AND channel = $2",
        &[deposit_id.into(), channel.into()],
    )?;
    if exists.is_empty() {
        sql.exec(
            "INSERT INTO notifications (deposit_id, channel, status, attempts, next_at) \
             VALUES ($1, $2, 'pending', 0, $3)",
            &[deposit_id.into(), channel.into(), ts(now).into()],
        )?;
    }
    Ok(())
}

/// Pending notifications due at `now`: (deposit, channel, attempts so far).
pub fn due_notifications(
    sql: &mut dyn Sql,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, String, i64)>> {
    let rows = sql.query(
        "SELECT deposit_id, channel, attempts FROM notifications \
         WHERE status = 'pending' AND next_at <= $1 ORDER BY next_at LIMIT $2",
        &[ts(now).into(), limit.into()],
    )?;
    Ok(rows
        .iter()
        .map(|r| (r[0].text().to_owned(), r[1].text().to_owned(), r[2].int()))
        .collect())
}

/// When the next pending notification is due.
pub fn next_notification_at(sql: &mut dyn Sql) -> Result<Option<DateTime<Utc>>> {
    let rows = sql.query(
        "SELECT MIN(next_at) FROM notifications WHERE status = 'pending'",
        &[],
    )?;
    rows.first()
        .and_then(|r| r[0].opt_text())
        .map(|s| parse_ts(&s))
        .transpose()
}

/// Claims up to `limit` notifications due at `now` for this sender until `lease` (the vault's
/// `notify.claim_lease_secs` later): each one's next attempt moves to the lease's end, and only
/// the rows this call moved are returned (a row claimed meanwhile by another instance is not:
/// its update blocks, then finds it not due). While the lease lasts no other claim takes it,
/// so two vault instances never send the same notice; when an instance dies with claims, they
/// are due again at the lease's end (at least once, never zero).
pub fn claim_notifications(
    sql: &mut dyn Sql,
    now: DateTime<Utc>,
    lease: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, String, i64)>> {
    let mut mine = Vec::new();
    for (deposit_id, channel, attempts) in due_notifications(sql, now, limit)? {
        let claimed = sql.exec(
            "UPDATE notifications SET next_at = $1 WHERE deposit_id = $2 AND channel = $3 \
             AND status = 'pending' AND next_at <= $4",
            &[
                ts(lease).into(),
                deposit_id.as_str().into(),
                channel.as_str().into(),
                ts(now).into(),
            ],
        )?;
        if claimed == 1 {
            mine.push((deposit_id, channel, attempts));
        }
    }
    Ok(mine)
}

/// Schedules another attempt.
pub fn retry_notification(
    sql: &mut dyn Sql,
    deposit_id: &str,
    channel: &str,
    attempts: i64,
    next_at: DateTime<Utc>,
    error: &str,
) -> Result<()> {
    sql.exec(
        "UPDATE notifications SET attempts = $1, next_at = $2, last_error = $3 \
         WHERE deposit_id = $4 AND channel = $5",
        &[
            attempts.into(),
            ts(next_at).into(),
            error.into(),
            deposit_id.into(),
            channel.into(),
        ],
    )?;
    Ok(())
}

/// Marks a notification `sent` or `failed`.
pub fn finish_notification(
    sql: &mut dyn Sql,
    deposit_id: &str,
    channel: &str,
    status: &str,
    error: Option<&str>,
) -> Result<()> {
    sql.exec(
        "UPDATE notifications SET status = $1, last_error = $2 \
         WHERE deposit_id = $3 AND channel = $4",
        &[
            status.into(),
            error.map(str::to_owned).into(),
            deposit_id.into(),
            channel.into(),
        ],
    )?;
    Ok(())
}

/// Sets the attempt count of a notification.
pub fn set_notification_attempts(
    sql: &mut dyn Sql,
    deposit_id: &str,
    channel: &str,
    attempts: i64,
) -> Result<()> {
    sql.exec(
        "UPDATE notifications SET attempts = $1 WHERE deposit_id = $2 AND channel = $3",
        &[attempts.into(), deposit_id.into(), channel.into()],
    )?;
    Ok(())
}

/// The status and attempts of a notification.
pub fn notification_status(
    sql: &mut dyn Sql,
    deposit_id: &str,
    channel: &str,
) -> Result<Option<(String, i64)>> {
    let rows = sql.query(
        "SELECT status, attempts FROM notifications WHERE deposit_id = $1 AND channel = $2",
        &[deposit_id.into(), channel.into()],
    )?;
    Ok(rows.first().map(|r| (r[0].text().to_owned(), r[1].int())))
}
