//! "Éditer propriétés" of the office vault: the office's description of a file or folder, and
//! its retention ("à conserver jusqu'au"). The rules of retention live here, once: what may be
//! set ([`retention_change`]), and what a retention forbids — deleting the entry, anything in
//! it or anything in a retained folder ([`check_deletable`]), moving something out of a
//! retained folder ([`check_movable`]).
//!
//! The description is personal data (names of debtors, amounts): it is stored and returned to
//! its office only, and never written to the logs.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use sceau_proto::{VaultEntry, VaultPropertiesRequest};

use super::office::clean_path;
use crate::error::{Error, Result};
use crate::peer::Authed;
use crate::store::meta;
use crate::store::sql::Sql;
use crate::Vault;

/// Largest body of `PATCH /v1/vault/properties`: a path of 16 segments and a description of
/// 500 characters, escaped, fit well below.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The end of a retention "until `day`" (inclusive): the last second of that day in
/// Europe/Paris, 23:59:59, as the window shows it.
pub fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    sceau_core::paris_day_start(day.succ_opt().unwrap_or(day)) - chrono::Duration::seconds(1)
}

/// Whether `current` (the entry's retention, if any) may become `wanted` at `now`: never in the
/// past, never earlier than what is set (by the vault on a service's archive, or earlier by
/// the office). The same end is accepted (nothing changes).
pub fn retention_change(
    current: Option<DateTime<Utc>>,
    wanted: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    if wanted <= now {
        return Err(Error::RetentionPast);
    }
    match current {
        Some(until) if wanted < until => Err(Error::RetentionShortened { until }),
        _ => Ok(()),
    }
}

/// Refuses deleting `items` (an entry and everything below it, [`meta::subtree`]) when one of
/// them, or a folder above them, is within its retention period.
pub fn check_deletable(
    sql: &mut dyn Sql,
    office: &str,
    items: &[VaultEntry],
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(top) = items.first() else {
        return Ok(());
    };
    if items.iter().any(|e| e.retained_at(now))
        || meta::ancestors(sql, office, &top.path)?
            .iter()
            .any(|a| a.retained_at(now))
    {
        return Err(Error::Retained);
    }
    Ok(())
}

/// Refuses moving `from` to `to` when that takes it out of a folder within its retention
/// period (moving inside it is allowed: the folder keeps its content).
pub fn check_movable(
    sql: &mut dyn Sql,
    office: &str,
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    for a in meta::ancestors(sql, office, from)? {
        if a.retained_at(now) && !to.starts_with(&format!("{}/", a.path)) {
            return Err(Error::RetainedFolder {
                until: a.retained_until.unwrap_or(now),
                folder: a.path,
            });
        }
    }
    Ok(())
}

/// The description as stored: checked, its ends trimmed, `None` when empty.
fn stored_description(text: &str) -> Result<Option<String>> {
    sceau_proto::check_description(text).map_err(Error::DescriptionInvalid)?;
    let t = text.trim();
    Ok((!t.is_empty()).then(|| t.to_owned()))
}

/// `PATCH /v1/vault/properties`: sets the description and/or extends the retention of one of
/// the office's files or folders; answers the entry as it now is. Another office's path
/// answers `not_found`, like a missing one.
pub async fn set(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    super::JsonBody(req): super::JsonBody<VaultPropertiesRequest>,
) -> Result<Json<VaultEntry>> {
    let path = clean_path(&req.path)?;
    if path.is_empty() {
        return Err(Error::NotFound);
    }
    let description = req
        .description
        .as_deref()
        .map(stored_description)
        .transpose()?;
    let wanted = req.retain_until.map(end_of_day);
    let office = who.office.office.id.clone();
    let now = vault.clock.now();
    let entry = vault
        .db(move |sql| {
            let e = meta::entry(sql, &office, &path)?.ok_or(Error::NotFound)?;
            if let Some(w) = wanted {
                retention_change(e.retained_until, w, now)?;
            }
            if let Some(d) = &description {
                meta::set_entry_description(sql, &office, &path, d.as_deref())?;
            }
            if let Some(w) = wanted.filter(|w| Some(*w) != e.retained_until) {
                meta::set_entry_retention(sql, &office, &path, w)?;
            }
            meta::entry(sql, &office, &path)?.ok_or(Error::NotFound)
        })
        .await?;
    // Neither the path nor the description: both may name a person.
    tracing::info!(
        description = req.description.is_some(),
        retention = req.retain_until.is_some(),
        "office vault entry's properties set"
    );
    Ok(Json(entry))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retention_only_grows_and_never_starts_in_the_past() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
        let today = end_of_day(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
        // The last second of the Paris day: 22:59:59 UTC in winter.
        assert_eq!(today, Utc.with_ymd_and_hms(2026, 3, 2, 22, 59, 59).unwrap());
        assert!(retention_change(None, today, now).is_ok());
        let yesterday = end_of_day(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(
            retention_change(None, yesterday, now).unwrap_err().code(),
            "retention_past"
        );
        let archive = Utc.with_ymd_and_hms(2036, 3, 2, 9, 30, 0).unwrap();
        let err = retention_change(Some(archive), today, now).unwrap_err();
        assert_eq!(err.code(), "retention_shortened");
        assert!(
            err.message_fr().contains("02/03/2036"),
            "{}",
            err.message_fr()
        );
        assert!(retention_change(Some(archive), archive, now).is_ok());
        let later = end_of_day(NaiveDate::from_ymd_opt(2040, 1, 1).unwrap());
        assert!(retention_change(Some(archive), later, now).is_ok());
    }

    #[test]
    fn descriptions_are_checked_trimmed_and_emptied() {
        assert_eq!(
            stored_description("  Dossier Martin\nrelance  ").unwrap(),
            Some("Dossier Martin\nrelance".into())
        );
        assert_eq!(stored_description(" \n ").unwrap(), None);
        let err = stored_description("a\tb").unwrap_err();
        assert_eq!(err.code(), "description_invalid");
        assert!(!err.message_fr().contains("a\tb"));
        assert_eq!(
            stored_description(&"x".repeat(501)).unwrap_err().code(),
            "description_invalid"
        );
    }
}
