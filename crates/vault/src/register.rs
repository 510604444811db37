//! The register of consents to electronic service (CPC 748-2): a consent given, an invitation
//! refused, a consent revoked — each change is one row and one evidence record of the journal,
//! in the caller's transaction (in the server, under the vault's commit lock; an operator command
//! in another process follows the journal's own writer rule). Consents are instants, and the
//! natures they cover are always listed; whether one is in force is `sceau_core::consent`'s rule,
//! the same for the vault, its attestations and the workstation.

use chrono::{DateTime, Utc};
use sceau_core::consent::{find_in_force, Consent};
use sceau_core::evidence::EvidenceEvent;
use sceau_core::natures::Catalogue;
use sha2::{Digest, Sha256};

use crate::error::{storage, Error, Result};
use crate::journal::{self, Entry};
use crate::store::meta;
use crate::store::sql::Sql;

/// Name of the register entry among an evidence record's digests.
pub const ENTRY_DIGEST_NAME: &str = "consentement.json";

/// A change the register refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No nature of act listed.
    NoNature,
    /// The consent would be given after now.
    GivenInFuture,
    /// It would end before it starts.
    ExpiresBeforeGiven,
    /// The consent is already revoked (at that instant).
    AlreadyRevoked(DateTime<Utc>),
    /// A revocation before the consent was given.
    RevokedBeforeGiven,
}

impl Refusal {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NoNature => "consent_no_nature",
            Refusal::GivenInFuture => "consent_given_in_future",
            Refusal::ExpiresBeforeGiven => "consent_expires_before_given",
            Refusal::AlreadyRevoked(_) => "consent_already_revoked",
            Refusal::RevokedBeforeGiven => "consent_revoked_before_given",
        }
    }

    /// What is wrong and what to do, in French.
    pub fn message_fr(&self) -> String {
        match self {
            Refusal::NoNature => {
                "Un consentement couvre au moins une nature d'acte : indiquez les \
                                  natures (--nature CODE, ou --toutes-natures)."
                    .into()
            }
            Refusal::GivenInFuture => "Un consentement ne peut pas être enregistré avant d'avoir \
                                       été donné : indiquez l'instant où il l'a été (maintenant \
                                       ou dans le passé)."
                .into(),
            Refusal::ExpiresBeforeGiven => {
                "La fin du consentement doit suivre l'instant où il a été donné.".into()
            }
            Refusal::AlreadyRevoked(at) => format!(
                "Ce consentement est déjà révoqué depuis le {} : rien n'a été changé.",
                sceau_core::naming::format_paris(*at)
            ),
            Refusal::RevokedBeforeGiven => "Un consentement ne peut pas être révoqué avant \
                                            d'avoir été donné."
                .into(),
        }
    }

    /// Whether the refusal is a conflict with the register's state (HTTP 409).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Refusal::AlreadyRevoked(_))
    }
}

/// A consent to enter in the register.
#[derive(Debug, Clone)]
pub struct NewConsent<'a> {
    /// The recipient (vault id).
    pub recipient_id: &'a str,
    /// Natures of acts covered (catalogue codes).
    pub natures: Vec<String>,
    /// When it was given.
    pub given_at: DateTime<Utc>,
    /// When it ends, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// How it was given (`portail`, `convention`...).
    pub how: &'a str,
    /// Who entered it, for the evidence record (`operateur`, `portail`).
    pub by: &'a str,
    /// The office whose invitation led to it (its event feed is told), if any.
    pub office_id: Option<&'a str>,
    /// Further evidence digested in the record (the recipient's declaration...).
    pub evidence: Vec<(String, [u8; 32])>,
}

fn entry_digest(c: &Consent) -> Result<(String, [u8; 32])> {
    let json = serde_json::to_vec(c).map_err(storage)?;
    Ok((ENTRY_DIGEST_NAME.to_owned(), Sha256::digest(&json).into()))
}

/// Enters a consent given at `new.given_at` (not after `now`), for known natures of
/// `catalogue`, and journals it (`sceau:ConsentGiven`).
pub fn give(
    sql: &mut dyn Sql,
    catalogue: &Catalogue,
    new: NewConsent<'_>,
    now: DateTime<Utc>,
) -> Result<Consent> {
    let mut natures: Vec<String> = Vec::with_capacity(new.natures.len());
    for n in new.natures {
        let code = n.trim().to_owned();
        if catalogue.get(&code).is_none() {
            return Err(Error::UnknownNature(code));
        }
        if !natures.contains(&code) {
            natures.push(code);
        }
    }
    if natures.is_empty() {
        return Err(Error::Register(Refusal::NoNature));
    }
    if new.given_at > now {
        return Err(Error::Register(Refusal::GivenInFuture));
    }
    if new.expires_at.is_some_and(|e| e <= new.given_at) {
        return Err(Error::Register(Refusal::ExpiresBeforeGiven));
    }
    let who = meta::recipient(sql, new.recipient_id)?
        .ok_or(Error::UnknownRecipient)?
        .name;
    let consent = Consent {
        id: uuid::Uuid::new_v4().to_string(),
        recipient_id: new.recipient_id.to_owned(),
        natures,
        given_at: new.given_at,
        expires_at: new.expires_at,
        revoked_at: None,
        how: new.how.to_owned(),
    };
    meta::insert_consent(sql, &consent, new.office_id)?;
    let mut digests = vec![entry_digest(&consent)?];
    digests.extend(new.evidence);
    journal::append(
        sql,
        &[Entry {
            record: journal::record(
                EvidenceEvent::ConsentGiven,
                now,
                new.by,
                &consent.recipient_id,
                &consent.id,
                digests,
                None,
            ),
            office_id: new.office_id.map(str::to_owned),
            message: format!(
                "Consentement de {who} à la signification électronique enregistré ({})",
                consent.natures.join(", ")
            ),
        }],
    )?;
    Ok(consent)
}

/// Revokes consent `id` as of `now` (for deposits accepted from now on, never earlier ones)
/// and journals it (`sceau:ConsentRevoked`); `by` says who asked, `reason_fr` why.
pub fn revoke(
    sql: &mut dyn Sql,
    id: &str,
    now: DateTime<Utc>,
    by: &str,
    reason_fr: &str,
) -> Result<Consent> {
    let (mut consent, office_id) = meta::consent(sql, id)?.ok_or(Error::NotFound)?;
    if let Some(at) = consent.revoked_at {
        return Err(Error::Register(Refusal::AlreadyRevoked(at)));
    }
    if now < consent.given_at {
        return Err(Error::Register(Refusal::RevokedBeforeGiven));
    }
    meta::revoke_consent(sql, id, now)?;
    let who = recipient_name(sql, &consent.recipient_id)?;
    consent.revoked_at = Some(now);
    journal::append(
        sql,
        &[Entry {
            record: journal::record(
                EvidenceEvent::ConsentRevoked,
                now,
                by,
                &consent.recipient_id,
                &consent.id,
                vec![entry_digest(&consent)?],
                Some(reason_fr.to_owned()),
            ),
            office_id,
            message: format!(
                "Consentement de {who} à la signification électronique révoqué ({reason_fr})"
            ),
        }],
    )?;
    Ok(consent)
}

/// The consent in force for `recipient_id` and `nature` at `at`, or why there is none.
pub fn in_force(
    sql: &mut dyn Sql,
    recipient_id: &str,
    nature: &str,
    at: DateTime<Utc>,
) -> Result<std::result::Result<Consent, sceau_core::consent::ConsentStatus>> {
    let list = meta::list_consents(sql, Some(recipient_id))?;
    Ok(find_in_force(&list, nature, at).cloned())
}

fn recipient_name(sql: &mut dyn Sql, id: &str) -> Result<String> {
    Ok(meta::recipient(sql, id)?.map_or_else(|| id.to_owned(), |r| r.name))
}

/// Journals a recipient's refusal of office `office_id`'s invitation `invitation_id`
/// (`sceau:ConsentRefused`): nothing enters the register, the office is told.
pub fn refused(
    sql: &mut dyn Sql,
    invitation_id: &str,
    recipient_id: &str,
    office_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let who = recipient_name(sql, recipient_id)?;
    journal::append(
        sql,
        &[Entry {
            record: journal::record(
                EvidenceEvent::ConsentRefused,
                now,
                "portail",
                recipient_id,
                invitation_id,
                Vec::new(),
                Some("refusé par le destinataire sur le portail".into()),
            ),
            office_id: Some(office_id.to_owned()),
            message: format!("Invitation à la signification électronique refusée par {who}"),
        }],
    )?;
    Ok(())
}
