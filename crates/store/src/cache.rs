//! The recipients and consents cache (for offline preparation), the session log and settings.

use chrono::{DateTime, Utc};
use rand_core::{OsRng, RngCore};
use rusqlite::{params, OptionalExtension, Row};
use sceau_core::consent::ConsentStatus;

use crate::error::Result;
use crate::{from_ms, normalize, now_ms, prefix_end, Store};

/// A recipient as last fetched from the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The vault's identifier.
    pub id: String,
    /// Bank, company, administration or person (the vault's own type).
    pub kind: sceau_proto::RecipientKind,
    /// Name (company name, or surname and given name).
    pub name: String,
    /// SIRET for an establishment.
    pub siret: Option<String>,
    /// SIREN of a company, as the vault gives it.
    pub siren: Option<String>,
    /// NIR for a person.
    pub nir: Option<String>,
    /// E-mail address for notifications.
    pub email: Option<String>,
    /// Fixed phone.
    pub phone_fixed: Option<String>,
    /// Mobile phone (SMS notifications).
    pub phone_mobile: Option<String>,
    /// The recipient's place as the vault gave it (its calendar and time zone govern a service
    /// prepared offline).
    pub region: Option<sceau_core::region::Region>,
    /// When this copy was fetched.
    pub updated_at: DateTime<Utc>,
}

/// A recipient's consent as the vault's register gives it (the core's type: the cache and the
/// rules cannot drift).
pub use sceau_core::consent::Consent;

/// One action of a session (the dashboard's session log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// What, in French (e.g. "Connexion").
    pub action: String,
    /// Details (a reference, a count); never a PIN or a full personal identifier.
    pub detail: String,
}

fn recipient_from_row(r: &Row<'_>) -> rusqlite::Result<Recipient> {
    let kind: String = r.get(1)?;
    let kind: sceau_proto::RecipientKind = kind.parse().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            rusqlite::types::Type::Text,
            format!("recipient kind {kind:?}").into(),
        )
    })?;
    Ok(Recipient {
        id: r.get(0)?,
        kind,
        name: r.get(2)?,
        siret: r.get(3)?,
        nir: r.get(4)?,
        email: r.get(5)?,
        siren: r.get(6)?,
        phone_fixed: r.get(7)?,
        phone_mobile: r.get(8)?,
        updated_at: from_ms(r.get(9)?),
        // A code this version does not know (written by a later one) is no place.
        region: r
            .get::<_, Option<String>>(10)?
            .and_then(|c| sceau_core::region::Region::from_code(&c).ok()),
    })
}

const RECIPIENT_COLUMNS: &str =
    "id, kind, name, siret, nir, email, siren, phone_fixed, phone_mobile, updated_at, region";

impl Store {
    /// Stores or refreshes a recipient.
    pub fn upsert_recipient(&mut self, r: &Recipient) -> Result<()> {
        self.conn.execute(
            "INSERT INTO recipients (id, kind, name, name_norm, siret, nir, email, siren,
                 phone_fixed, phone_mobile, updated_at, region)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name,
                 name_norm = excluded.name_norm, siret = excluded.siret, nir = excluded.nir,
                 email = excluded.email, siren = excluded.siren,
                 phone_fixed = excluded.phone_fixed, phone_mobile = excluded.phone_mobile,
                 updated_at = excluded.updated_at, region = excluded.region",
            params![
                r.id,
                r.kind.code(),
                r.name,
                normalize(&r.name),
                r.siret,
                r.nir,
                r.email,
                r.siren,
                r.phone_fixed,
                r.phone_mobile,
                r.updated_at.timestamp_millis(),
                r.region.map(|g| g.code().to_owned())
            ],
        )?;
        Ok(())
    }

    /// The cached recipient `id`.
    pub fn recipient(&self, id: &str) -> Result<Option<Recipient>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {RECIPIENT_COLUMNS} FROM recipients WHERE id = ?1"),
                [id],
                recipient_from_row,
            )
            .optional()?)
    }

    /// Cached recipients whose SIRET or NIR is `query` (spaces ignored) or whose name starts
    /// with it; at most `limit`, by name.
    pub fn search_recipients(&self, query: &str, limit: usize) -> Result<Vec<Recipient>> {
        let compact: String = query.chars().filter(|c| !c.is_whitespace()).collect();
        let p = normalize(query);
        let end = prefix_end(&p);
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {RECIPIENT_COLUMNS} FROM recipients
             WHERE siret = ?1 OR nir = ?1 OR (name_norm >= ?2 AND name_norm < ?3)
             ORDER BY name_norm LIMIT ?4"
        ))?;
        let rows = st.query_map(params![compact, p, end, limit as i64], recipient_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Replaces the cached consents of recipient `id` by `consents` and records that they were
    /// fetched at `fetched_at` (one transaction). The recipient must be cached.
    pub fn replace_consents(
        &mut self,
        id: &str,
        consents: &[Consent],
        fetched_at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM consents WHERE recipient_id = ?1", [id])?;
        for c in consents {
            tx.execute(
                "INSERT INTO consents (recipient_id, id, natures, given_at, expires, revoked_at, how)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    c.id,
                    c.natures.join("\n"),
                    c.given_at.timestamp_millis(),
                    c.expires_at.map(|t| t.timestamp_millis()),
                    c.revoked_at.map(|t| t.timestamp_millis()),
                    c.how,
                ],
            )?;
        }
        let n = tx.execute(
            "UPDATE recipients SET consents_fetched_at = ?2 WHERE id = ?1",
            params![id, fetched_at.timestamp_millis()],
        )?;
        if n != 1 {
            return Err(crate::Error::NotFound {
                what: "recipient",
                id: id.to_owned(),
            });
        }
        tx.commit()?;
        Ok(())
    }

    /// The cached consents of recipient `id`, oldest first, and when they were fetched; `None`
    /// if they never were (nothing is known: not the same as "no consent").
    pub fn consents(&self, id: &str) -> Result<Option<(Vec<Consent>, DateTime<Utc>)>> {
        let fetched: Option<i64> = self
            .conn
            .query_row(
                "SELECT consents_fetched_at FROM recipients WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let Some(fetched) = fetched else {
            return Ok(None);
        };
        let mut st = self.conn.prepare_cached(
            "SELECT id, natures, given_at, expires, revoked_at, how FROM consents
             WHERE recipient_id = ?1 ORDER BY given_at, id",
        )?;
        let rows = st.query_map([id], |r| {
            let natures: String = r.get(1)?;
            Ok(Consent {
                id: r.get(0)?,
                recipient_id: id.to_owned(),
                natures: natures
                    .split('\n')
                    .filter(|n| !n.is_empty())
                    .map(String::from)
                    .collect(),
                given_at: from_ms(r.get(2)?),
                expires_at: r.get::<_, Option<i64>>(3)?.map(from_ms),
                revoked_at: r.get::<_, Option<i64>>(4)?.map(from_ms),
                how: r.get(5)?,
            })
        })?;
        let list = rows.collect::<rusqlite::Result<_>>()?;
        Ok(Some((list, from_ms(fetched))))
    }

    /// Whether recipient `id` consents to electronic service of `nature` at `at`, by the cached
    /// register (`sceau_core::consent::find_in_force`); `None` if its consents were never
    /// fetched.
    pub fn consent_status(
        &self,
        id: &str,
        nature: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ConsentStatus>> {
        Ok(self.consents(id)?.map(|(list, _)| {
            match sceau_core::consent::find_in_force(&list, nature, at) {
                Ok(_) => ConsentStatus::InForce,
                Err(status) => status,
            }
        }))
    }

    /// Starts a session (at connection) and returns its identifier.
    pub fn start_session(&mut self) -> Result<String> {
        let mut b = [0u8; 8];
        OsRng.fill_bytes(&mut b);
        let id = hex::encode(b);
        self.log_action(&id, "Connexion", "")?;
        Ok(id)
    }

    /// Appends an action to the session log.
    pub fn log_action(&mut self, session: &str, action: &str, detail: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO session_log (session, at, action, detail) VALUES (?1, ?2, ?3, ?4)",
            params![session, now_ms(), action, detail],
        )?;
        Ok(())
    }

    /// The actions of `session`, in order.
    pub fn session_log(&self, session: &str) -> Result<Vec<SessionEntry>> {
        let mut st = self.conn.prepare_cached(
            "SELECT at, action, detail FROM session_log WHERE session = ?1 ORDER BY id",
        )?;
        let rows = st.query_map([session], |r| {
            Ok(SessionEntry {
                at: from_ms(r.get(0)?),
                action: r.get(1)?,
                detail: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The setting `key`, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Sets the setting `key` to `value`.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Removes the setting `key`; returns whether it was set.
    pub fn remove_setting(&mut self, key: &str) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM settings WHERE key = ?1", [key])?
            > 0)
    }
}
