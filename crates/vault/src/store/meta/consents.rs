//! Consents and reception rules.

use chrono::NaiveDate;
use sceau_proto::Consent;

use crate::error::{storage, Error, Result};
use crate::store::sql::{Sql, Val};

fn consent_row(r: &[Val]) -> Result<Consent> {
    let date = |v: &Val| -> Result<Option<NaiveDate>> {
        v.opt_text()
            .map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(storage))
            .transpose()
    };
    Ok(Consent {
        id: r[0].text().into(),
        recipient_id: r[1].text().into(),
        natures: serde_json::from_str(r[2].text()).map_err(storage)?,
        given_on: date(&r[3])?.ok_or_else(|| storage("given_on"))?,
        expires_on: date(&r[4])?,
        how: r[5].text().into(),
        revoked_on: date(&r[6])?,
    })
}

/// Records a consent.
pub fn insert_consent(sql: &mut dyn Sql, c: &Consent) -> Result<()> {
    sql.exec(
        "INSERT INTO consents (id, recipient_id, natures, given_on, expires_on, how, revoked_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            (&c.id).into(),
            (&c.recipient_id).into(),
            serde_json::to_string(&c.natures).map_err(storage)?.into(),
            c.given_on.to_string().into(),
            c.expires_on.map(|d| d.to_string()).into(),
            (&c.how).into(),
            c.revoked_on.map(|d| d.to_string()).into(),
        ],
    )?;
    Ok(())
}

/// Revokes a consent as of `on`; `NotFound` if there is none or it is already revoked.
pub fn revoke_consent(sql: &mut dyn Sql, id: &str, on: NaiveDate) -> Result<()> {
    let n = sql.exec(
        "UPDATE consents SET revoked_on = $1 WHERE id = $2 AND revoked_on IS NULL",
        &[on.to_string().into(), id.into()],
    )?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Consents, for one recipient or all.
pub fn list_consents(sql: &mut dyn Sql, recipient_id: Option<&str>) -> Result<Vec<Consent>> {
    let cols = "id, recipient_id, natures, given_on, expires_on, how, revoked_on";
    let rows = match recipient_id {
        Some(r) => sql.query(
            &format!("SELECT {cols} FROM consents WHERE recipient_id = $1 ORDER BY given_on, id"),
            &[r.into()],
        )?,
        None => sql.query(
            &format!("SELECT {cols} FROM consents ORDER BY recipient_id, given_on, id"),
            &[],
        )?,
    };
    rows.iter().map(|r| consent_row(r)).collect()
}

/// The consent in force for this recipient and nature on `day`, if any.
pub fn consent_in_force(
    sql: &mut dyn Sql,
    recipient_id: &str,
    nature: &str,
    day: NaiveDate,
) -> Result<Option<Consent>> {
    Ok(list_consents(sql, Some(recipient_id))?
        .into_iter()
        .find(|c| {
            c.given_on <= day
                && c.expires_on.is_none_or(|e| day <= e)
                && c.revoked_on.is_none_or(|r| day < r)
                && (c.natures.is_empty() || c.natures.iter().any(|n| n == nature))
        }))
}

/// Sets a recipient's reception windows for a nature (JSON list of windows).
pub fn set_rule(sql: &mut dyn Sql, recipient_id: &str, nature: &str, windows: &str) -> Result<()> {
    sql.exec(
        "DELETE FROM reception_rules WHERE recipient_id = $1 AND nature = $2",
        &[recipient_id.into(), nature.into()],
    )?;
    sql.exec(
        "INSERT INTO reception_rules (recipient_id, nature, windows) VALUES ($1, $2, $3)",
        &[recipient_id.into(), nature.into(), windows.into()],
    )?;
    Ok(())
}

/// A recipient's reception windows for a nature (JSON), if it has any.
pub fn rule(sql: &mut dyn Sql, recipient_id: &str, nature: &str) -> Result<Option<String>> {
    let rows = sql.query(
        "SELECT windows FROM reception_rules WHERE recipient_id = $1 AND nature = $2",
        &[recipient_id.into(), nature.into()],
    )?;
    Ok(rows.first().map(|r| r[0].text().to_owned()))
}
