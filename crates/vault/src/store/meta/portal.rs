//! The recipient portal's secrets: links, one-time codes, sessions, and its audit trail and purge.

use chrono::{DateTime, Utc};

use super::{parse_ts, ts};
use crate::error::Result;
use crate::store::sql::Sql;

/// Stores a portal link (its token's SHA-256).
pub fn insert_link(
    sql: &mut dyn Sql,
    token_hash: &str,
    recipient_id: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<()> {
    sql.exec(
        "INSERT INTO portal_links (token_hash, recipient_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
        &[
            token_hash.into(),
            recipient_id.into(),
            ts(now).into(),
            ts(expires).into(),
        ],
    )?;
    Ok(())
}

/// The recipient of a link still valid at `now`.
pub fn link_recipient(
    sql: &mut dyn Sql,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let rows = sql.query(
        "SELECT recipient_id FROM portal_links WHERE token_hash = $1 AND expires_at > $2",
        &[token_hash.into(), ts(now).into()],
    )?;
    Ok(rows.first().map(|r| r[0].text().to_owned()))
}

/// What a purge of the portal's expired secrets removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PortalPurge {
    /// Links past their life.
    pub links: u64,
    /// Codes of those links (a code row also keeps its link's wrong-code count, so it goes
    /// only with its link: a locked link stays locked while it lives).
    pub codes: u64,
    /// Sessions past their life.
    pub sessions: u64,
    /// Audit lines older than the retention.
    pub audit: u64,
}

/// Deletes the portal's links and sessions expired at `now`, the codes of deleted links, and
/// the audit lines written before `audit_before`.
pub fn purge_portal(
    sql: &mut dyn Sql,
    now: DateTime<Utc>,
    audit_before: DateTime<Utc>,
) -> Result<PortalPurge> {
    let now = ts(now);
    let links = sql.exec(
        "DELETE FROM portal_links WHERE expires_at <= $1",
        &[now.clone().into()],
    )?;
    let codes = sql
        .query(
            "DELETE FROM portal_codes WHERE NOT EXISTS \
             (SELECT 1 FROM portal_links l WHERE l.token_hash = portal_codes.link_hash) \
             RETURNING link_hash",
            &[],
        )?
        .len() as u64;
    let sessions = sql.exec(
        "DELETE FROM portal_sessions WHERE expires_at <= $1",
        &[now.into()],
    )?;
    let audit = sql.exec(
        "DELETE FROM portal_audit WHERE at < $1",
        &[ts(audit_before).into()],
    )?;
    Ok(PortalPurge {
        links,
        codes,
        sessions,
        audit,
    })
}

/// Writes one line of the portal's audit trail.
pub fn insert_audit(
    sql: &mut dyn Sql,
    at: DateTime<Utc>,
    recipient_id: Option<&str>,
    action: &str,
    deposit_id: Option<&str>,
    ok: bool,
) -> Result<()> {
    sql.exec(
        "INSERT INTO portal_audit (at, recipient_id, action, deposit_id, ok) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            ts(at).into(),
            recipient_id.map(str::to_owned).into(),
            action.into(),
            deposit_id.map(str::to_owned).into(),
            i64::from(ok).into(),
        ],
    )?;
    Ok(())
}

/// One line of the portal's audit trail: (action, recipient, deposit, allowed).
pub type AuditLine = (String, Option<String>, Option<String>, bool);

/// Audit lines, oldest first.
pub fn audit_lines(sql: &mut dyn Sql) -> Result<Vec<AuditLine>> {
    let rows = sql.query(
        "SELECT action, recipient_id, deposit_id, ok FROM portal_audit ORDER BY at, action",
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r[0].text().to_owned(),
                r[1].opt_text(),
                r[2].opt_text(),
                r[3].int() != 0,
            )
        })
        .collect())
}

/// The one-time code of a link.
#[derive(Debug, Clone)]
pub struct CodeState {
    /// SHA-256 of link hash and code.
    pub code_hash: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Wrong codes typed on this link (kept across new codes).
    pub attempts: i64,
    /// Whether the code was used.
    pub used: bool,
}

/// The code state of a link.
pub fn code_state(sql: &mut dyn Sql, link_hash: &str) -> Result<Option<CodeState>> {
    let rows = sql.query(
        "SELECT code_hash, expires_at, attempts, used FROM portal_codes WHERE link_hash = $1",
        &[link_hash.into()],
    )?;
    rows.first()
        .map(|r| {
            Ok(CodeState {
                code_hash: r[0].text().into(),
                expires_at: parse_ts(r[1].text())?,
                attempts: r[2].int(),
                used: r[3].int() != 0,
            })
        })
        .transpose()
}

/// Sets a new code for a link (the wrong-code count is kept).
pub fn set_code(
    sql: &mut dyn Sql,
    link_hash: &str,
    code_hash: &str,
    expires: DateTime<Utc>,
) -> Result<()> {
    let n = sql.exec(
        "UPDATE portal_codes SET code_hash = $1, expires_at = $2, used = 0 WHERE link_hash = $3",
        &[code_hash.into(), ts(expires).into(), link_hash.into()],
    )?;
    if n == 0 {
        sql.exec(
            "INSERT INTO portal_codes (link_hash, code_hash, expires_at, attempts, used) \
             VALUES ($1, $2, $3, 0, 0)",
            &[link_hash.into(), code_hash.into(), ts(expires).into()],
        )?;
    }
    Ok(())
}

/// Counts a wrong code in one statement: when the link has a live, unused code that is not
/// `code_hash` and fewer than `max` failures, adds one and returns the new count; else `None`
/// (nothing counted: the code is right, locked, used or expired).
pub fn count_wrong_code(
    sql: &mut dyn Sql,
    link_hash: &str,
    code_hash: &str,
    max: i64,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let rows = sql.query(
        "UPDATE portal_codes SET attempts = attempts + 1 WHERE link_hash = $1 \
         AND code_hash <> $2 AND attempts < $3 AND used = 0 AND expires_at > $4 \
         RETURNING attempts",
        &[
            link_hash.into(),
            code_hash.into(),
            max.into(),
            ts(now).into(),
        ],
    )?;
    Ok(rows.first().map(|r| r[0].int()))
}

/// Consumes a right code in one statement: `true` when the link had the live, unused code
/// `code_hash` with fewer than `max` failures (a replay, a locked link or an expired code gets
/// `false`).
pub fn consume_right_code(
    sql: &mut dyn Sql,
    link_hash: &str,
    code_hash: &str,
    max: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = sql.exec(
        "UPDATE portal_codes SET used = 1 WHERE link_hash = $1 AND code_hash = $2 \
         AND attempts < $3 AND used = 0 AND expires_at > $4",
        &[
            link_hash.into(),
            code_hash.into(),
            max.into(),
            ts(now).into(),
        ],
    )?;
    Ok(n == 1)
}

/// Marks the code used; `false` if it was used already (a replay).
pub fn consume_code(sql: &mut dyn Sql, link_hash: &str) -> Result<bool> {
    let n = sql.exec(
        "UPDATE portal_codes SET used = 1 WHERE link_hash = $1 AND used = 0",
        &[link_hash.into()],
    )?;
    Ok(n == 1)
}

/// Opens a portal session.
pub fn insert_session(
    sql: &mut dyn Sql,
    id_hash: &str,
    recipient_id: &str,
    csrf: &str,
    expires: DateTime<Utc>,
) -> Result<()> {
    sql.exec(
        "INSERT INTO portal_sessions (id_hash, recipient_id, csrf, expires_at) VALUES ($1, $2, $3, $4)",
        &[id_hash.into(), recipient_id.into(), csrf.into(), ts(expires).into()],
    )?;
    Ok(())
}

/// (recipient, csrf, expiry) of a session valid at `now`.
pub fn session(
    sql: &mut dyn Sql,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, String, DateTime<Utc>)>> {
    let rows = sql.query(
        "SELECT recipient_id, csrf, expires_at FROM portal_sessions \
         WHERE id_hash = $1 AND expires_at > $2",
        &[id_hash.into(), ts(now).into()],
    )?;
    rows.first()
        .map(|r| {
            Ok((
                r[0].text().to_owned(),
                r[1].text().to_owned(),
                parse_ts(r[2].text())?,
            ))
        })
        .transpose()
}

/// Extends a session.
pub fn touch_session(sql: &mut dyn Sql, id_hash: &str, expires: DateTime<Utc>) -> Result<()> {
    sql.exec(
        "UPDATE portal_sessions SET expires_at = $1 WHERE id_hash = $2",
        &[ts(expires).into(), id_hash.into()],
    )?;
    Ok(())
}

/// Ends a session.
pub fn delete_session(sql: &mut dyn Sql, id_hash: &str) -> Result<()> {
    sql.exec(
        "DELETE FROM portal_sessions WHERE id_hash = $1",
        &[id_hash.into()],
    )?;
    Ok(())
}
