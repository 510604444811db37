//! Offices' invitations to electronic service (the consent flow): each invitation is one row,
//! its link kept as a SHA-256; its two one-time codes live in `portal_codes` under the key
//! `invitation:<id>` (one hash over both codes, so one verdict and one count of wrong tries).

use chrono::{DateTime, Utc};
use sceau_proto::InvitationState;

use super::schema::{parse_ts, ts};
use crate::error::{storage, Result};
use crate::store::sql::{Sql, Val};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS consent_invitations (
    id TEXT PRIMARY KEY, office_id TEXT NOT NULL, recipient_id TEXT NOT NULL,
    natures TEXT NOT NULL, consent_months BIGINT, sent_at TEXT NOT NULL,
    expires_at TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, state TEXT NOT NULL,
    answered_at TEXT, consent_id TEXT, codes_sent_at TEXT, email_masked TEXT,
    mobile_masked TEXT, declaration TEXT);
CREATE INDEX IF NOT EXISTS consent_invitations_recipient
    ON consent_invitations(recipient_id, office_id)
";

/// Migration: the invitations' table.
pub(super) fn migrate_invitations(sql: &mut dyn Sql) -> Result<()> {
    for stmt in SCHEMA.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        sql.exec(stmt, &[])?;
    }
    Ok(())
}

/// An invitation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRow {
    /// Id.
    pub id: String,
    /// The inviting office.
    pub office_id: String,
    /// The recipient invited.
    pub recipient_id: String,
    /// Natures proposed (catalogue codes).
    pub natures: Vec<String>,
    /// Months the consent lasts once given; none: until revoked.
    pub consent_months: Option<u32>,
    /// When it was (last) sent.
    pub sent_at: DateTime<Utc>,
    /// Until when it may be answered.
    pub expires_at: DateTime<Utc>,
    /// Stored state: `pending`, `accepted`, `refused` or `withdrawn` (expiry and lock-out are
    /// read from the instants and the codes).
    pub state: InvitationState,
    /// When the recipient answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// The consent entered, once accepted.
    pub consent_id: Option<String>,
    /// When the two codes were last sent.
    pub codes_sent_at: Option<DateTime<Utc>>,
    /// The e-mail address the code went to, masked.
    pub email_masked: Option<String>,
    /// The mobile the code went to, masked.
    pub mobile_masked: Option<String>,
    /// The sealed declaration, once accepted: JSON `[name, pdf blob key, seal blob key]`.
    pub declaration: Option<String>,
}

const COLUMNS: &str = "id, office_id, recipient_id, natures, consent_months, sent_at, expires_at, \
                       state, answered_at, consent_id, codes_sent_at, email_masked, \
                       mobile_masked, declaration";

fn row(r: &[Val]) -> Result<InvitationRow> {
    let instant = |v: &Val| v.opt_text().map(|s| parse_ts(&s)).transpose();
    Ok(InvitationRow {
        id: r[0].text().into(),
        office_id: r[1].text().into(),
        recipient_id: r[2].text().into(),
        natures: serde_json::from_str(r[3].text()).map_err(storage)?,
        consent_months: r[4].opt_int().and_then(|m| u32::try_from(m).ok()),
        sent_at: parse_ts(r[5].text())?,
        expires_at: parse_ts(r[6].text())?,
        state: InvitationState::of_code(r[7].text())
            .ok_or_else(|| storage("invitation state unreadable"))?,
        answered_at: instant(&r[8])?,
        consent_id: r[9].opt_text(),
        codes_sent_at: instant(&r[10])?,
        email_masked: r[11].opt_text(),
        mobile_masked: r[12].opt_text(),
        declaration: r[13].opt_text(),
    })
}

/// Records a new invitation and the hash of its link.
pub fn insert_invitation(sql: &mut dyn Sql, i: &InvitationRow, token_hash: &str) -> Result<()> {
    sql.exec(
        &format!(
            "INSERT INTO consent_invitations ({COLUMNS}, token_hash) VALUES ($1, $2, $3, $4, $5, \
             $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        ),
        &[
            (&i.id).into(),
            (&i.office_id).into(),
            (&i.recipient_id).into(),
            serde_json::to_string(&i.natures).map_err(storage)?.into(),
            i.consent_months.map(i64::from).into(),
            ts(i.sent_at).into(),
            ts(i.expires_at).into(),
            i.state.code().into(),
            i.answered_at.map(ts).into(),
            i.consent_id.clone().into(),
            i.codes_sent_at.map(ts).into(),
            i.email_masked.clone().into(),
            i.mobile_masked.clone().into(),
            i.declaration.clone().into(),
            token_hash.into(),
        ],
    )?;
    Ok(())
}

/// The invitation of a link.
pub fn invitation_by_token(sql: &mut dyn Sql, token_hash: &str) -> Result<Option<InvitationRow>> {
    let rows = sql.query(
        &format!("SELECT {COLUMNS} FROM consent_invitations WHERE token_hash = $1"),
        &[token_hash.into()],
    )?;
    rows.first().map(|r| row(r)).transpose()
}

/// Invitation `id` of office `office_id` (another office's is not found).
pub fn office_invitation(
    sql: &mut dyn Sql,
    office_id: &str,
    id: &str,
) -> Result<Option<InvitationRow>> {
    let rows = sql.query(
        &format!("SELECT {COLUMNS} FROM consent_invitations WHERE id = $1 AND office_id = $2"),
        &[id.into(), office_id.into()],
    )?;
    rows.first().map(|r| row(r)).transpose()
}

/// Office `office_id`'s invitations of `recipient_id`, newest first.
pub fn office_invitations(
    sql: &mut dyn Sql,
    office_id: &str,
    recipient_id: &str,
) -> Result<Vec<InvitationRow>> {
    sql.query(
        &format!(
            "SELECT {COLUMNS} FROM consent_invitations WHERE office_id = $1 AND recipient_id = $2 \
             ORDER BY sent_at DESC, id"
        ),
        &[office_id.into(), recipient_id.into()],
    )?
    .iter()
    .map(|r| row(r))
    .collect()
}

/// A new link and answering time for a pending invitation (sent again); `false` if it is no
/// longer pending.
pub fn renew_invitation(
    sql: &mut dyn Sql,
    id: &str,
    token_hash: &str,
    sent_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<bool> {
    Ok(sql.exec(
        "UPDATE consent_invitations SET token_hash = $1, sent_at = $2, expires_at = $3, \
         codes_sent_at = NULL WHERE id = $4 AND state = 'pending'",
        &[
            token_hash.into(),
            ts(sent_at).into(),
            ts(expires_at).into(),
            id.into(),
        ],
    )? == 1)
}

/// Moves invitation `id` from `from` to `to` at `at` (with the consent entered, for an
/// acceptance); `false` if it was not in state `from` (answered or withdrawn meanwhile).
pub fn answer_invitation(
    sql: &mut dyn Sql,
    id: &str,
    from: InvitationState,
    to: InvitationState,
    at: DateTime<Utc>,
    consent_id: Option<&str>,
    declaration: Option<&str>,
) -> Result<bool> {
    Ok(sql.exec(
        "UPDATE consent_invitations SET state = $1, answered_at = $2, consent_id = $3, \
         declaration = $4 WHERE id = $5 AND state = $6",
        &[
            to.code().into(),
            ts(at).into(),
            consent_id.into(),
            declaration.into(),
            id.into(),
            from.code().into(),
        ],
    )? == 1)
}

/// Records that the two codes of invitation `id` were sent at `at`, to these masked contacts.
pub fn set_codes_sent(
    sql: &mut dyn Sql,
    id: &str,
    at: DateTime<Utc>,
    email_masked: &str,
    mobile_masked: &str,
) -> Result<()> {
    sql.exec(
        "UPDATE consent_invitations SET codes_sent_at = $1, email_masked = $2, mobile_masked = $3 \
         WHERE id = $4",
        &[
            ts(at).into(),
            email_masked.into(),
            mobile_masked.into(),
            id.into(),
        ],
    )?;
    Ok(())
}
