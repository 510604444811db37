//! Bank certificates bound to recipients (the bank API).

use chrono::{DateTime, Utc};

use super::ts;
use crate::error::Result;
use crate::store::sql::Sql;

/// Binds a bank's certificate (SHA-256 fingerprint) to a recipient.
pub fn bind_bank_cert(
    sql: &mut dyn Sql,
    fingerprint: &str,
    recipient_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sql.exec(
        "DELETE FROM bank_certs WHERE fingerprint = $1",
        &[fingerprint.into()],
    )?;
    sql.exec(
        "INSERT INTO bank_certs (fingerprint, recipient_id, bound_at) VALUES ($1, $2, $3)",
        &[fingerprint.into(), recipient_id.into(), ts(now).into()],
    )?;
    Ok(())
}

/// The recipient bound to a bank certificate.
pub fn bank_by_cert(sql: &mut dyn Sql, fingerprint: &str) -> Result<Option<String>> {
    let rows = sql.query(
        "SELECT recipient_id FROM bank_certs WHERE fingerprint = $1",
        &[fingerprint.into()],
    )?;
    Ok(rows.first().map(|r| r[0].text().to_owned()))
}
