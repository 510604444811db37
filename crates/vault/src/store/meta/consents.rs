//! Consents and reception rules.
//!
//! A consent's instants are `given_at`, `expires_at` and `revoked_at`; `given_on` keeps the
//! Paris day it was given (for reading the table by hand). The day columns `expires_on` and
//! `revoked_on` of the first versions are read once by [`migrate_instants`] and no longer
//! written.

use chrono::{DateTime, Days, NaiveDate, Utc};
use sceau_core::consent::Consent;

use super::schema::{add_column, parse_ts, ts};
use crate::error::{storage, Error, Result};
use crate::store::sql::{Sql, Val};

const COLUMNS: &str = "id, recipient_id, natures, given_at, expires_at, revoked_at, how, office_id";

fn consent_row(r: &[Val]) -> Result<(Consent, Option<String>)> {
    let instant = |v: &Val| v.opt_text().map(|s| parse_ts(&s)).transpose();
    Ok((
        Consent {
            id: r[0].text().into(),
            recipient_id: r[1].text().into(),
            natures: serde_json::from_str(r[2].text()).map_err(storage)?,
            given_at: instant(&r[3])?.ok_or_else(|| storage("consent without given_at"))?,
            expires_at: instant(&r[4])?,
            revoked_at: instant(&r[5])?,
            how: r[6].text().into(),
        },
        r[7].opt_text(),
    ))
}

/// Records a consent (`office_id`: the office whose invitation led to it).
pub fn insert_consent(sql: &mut dyn Sql, c: &Consent, office_id: Option<&str>) -> Result<()> {
    sql.exec(
        "INSERT INTO consents (id, recipient_id, natures, given_on, given_at, expires_at, how, \
         revoked_at, office_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            (&c.id).into(),
            (&c.recipient_id).into(),
            serde_json::to_string(&c.natures).map_err(storage)?.into(),
            c.given_at
                .with_timezone(&sceau_core::PARIS)
                .date_naive()
                .to_string()
                .into(),
            ts(c.given_at).into(),
            c.expires_at.map(ts).into(),
            (&c.how).into(),
            c.revoked_at.map(ts).into(),
            office_id.into(),
        ],
    )?;
    Ok(())
}

/// Marks a consent revoked at `at`; `NotFound` if there is none or it is already revoked.
pub fn revoke_consent(sql: &mut dyn Sql, id: &str, at: DateTime<Utc>) -> Result<()> {
    let n = sql.exec(
        "UPDATE consents SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        &[ts(at).into(), id.into()],
    )?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// One consent and the office whose invitation led to it.
pub fn consent(sql: &mut dyn Sql, id: &str) -> Result<Option<(Consent, Option<String>)>> {
    let rows = sql.query(
        &format!("SELECT {COLUMNS} FROM consents WHERE id = $1"),
        &[id.into()],
    )?;
    rows.first().map(|r| consent_row(r)).transpose()
}

/// Consents, for one recipient or all, in the order they were given.
pub fn list_consents(sql: &mut dyn Sql, recipient_id: Option<&str>) -> Result<Vec<Consent>> {
    let rows = match recipient_id {
        Some(r) => sql.query(
            &format!(
                "SELECT {COLUMNS} FROM consents WHERE recipient_id = $1 ORDER BY given_at, id"
            ),
            &[r.into()],
        )?,
        None => sql.query(
            &format!("SELECT {COLUMNS} FROM consents ORDER BY recipient_id, given_at, id"),
            &[],
        )?,
    };
    rows.iter()
        .map(|r| consent_row(r).map(|(c, _)| c))
        .collect()
}

/// Migration: the instants and the office of each consent. A consent of the first versions,
/// kept as days, becomes what those days meant — in force from the start of the Paris day it
/// was given to the end of its last day, revoked from the start of the day of revocation — and
/// its empty list of natures ("every nature") lists the catalogue's natures.
pub(super) fn migrate_instants(sql: &mut dyn Sql) -> Result<()> {
    for (column, definition) in [
        ("given_at", "TEXT"),
        ("expires_at", "TEXT"),
        ("revoked_at", "TEXT"),
        ("office_id", "TEXT"),
    ] {
        add_column(sql, "consents", column, definition)?;
    }
    let old = sql.query(
        "SELECT id, natures, given_on, expires_on, revoked_on FROM consents \
         WHERE given_at IS NULL",
        &[],
    )?;
    if old.is_empty() {
        return Ok(());
    }
    let every: Vec<String> = sceau_core::natures::Catalogue::shipped()
        .map_err(|e| crate::error::config(crate::error::ConfigError::Catalogue(e)))?
        .natures
        .iter()
        .map(|n| n.code.clone())
        .collect();
    let day = |v: &Val| -> Result<Option<NaiveDate>> {
        v.opt_text()
            .map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(storage))
            .transpose()
    };
    for r in &old {
        let natures: Vec<String> = serde_json::from_str(r[1].text()).map_err(storage)?;
        let natures = if natures.is_empty() {
            every.clone()
        } else {
            natures
        };
        let given = day(&r[2])?.ok_or_else(|| storage("consent without given_on"))?;
        let expires = day(&r[3])?
            .map(|d| sceau_core::paris_day_start(d.checked_add_days(Days::new(1)).unwrap_or(d)));
        let revoked = day(&r[4])?.map(sceau_core::paris_day_start);
        sql.exec(
            "UPDATE consents SET natures = $1, given_at = $2, expires_at = $3, revoked_at = $4 \
             WHERE id = $5",
            &[
                serde_json::to_string(&natures).map_err(storage)?.into(),
                ts(sceau_core::paris_day_start(given)).into(),
                expires.map(ts).into(),
                revoked.map(ts).into(),
                r[0].text().into(),
            ],
        )?;
    }
    Ok(())
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
