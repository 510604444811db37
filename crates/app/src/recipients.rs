//! A recipient as the faces show it: the vault's card whole (SIREN, fixed and mobile phones
//! apart), from the vault or from the local cache, and the reception status as data.

use chrono::{DateTime, Utc};
use serde::Serialize;

use sceau_client::{RecipientCreation, RecipientQuery};
use sceau_core::recipient::NewRecipient;

use crate::{App, Auth, Error, Refusal, Result};

/// A recipient as the app shows it (from the vault, or from the cache offline).
#[derive(Debug, Clone, Serialize)]
pub struct RecipientView {
    /// The vault's id.
    pub id: String,
    /// Kind of recipient.
    pub kind: sceau_proto::RecipientKind,
    /// Name.
    pub name: String,
    /// SIRET.
    pub siret: Option<String>,
    /// SIREN, as the vault gives it (never rebuilt from the SIRET).
    pub siren: Option<String>,
    /// Masked NIR.
    pub nir_masked: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Fixed phone.
    pub phone_fixed: Option<String>,
    /// Mobile phone (SMS).
    pub phone_mobile: Option<String>,
    /// The recipient's place, when the vault knows it (its calendar and time zone govern).
    pub region: Option<sceau_core::region::Region>,
    /// Whether this comes from the local cache (vault unreachable).
    pub from_cache: bool,
}

impl From<RecipientView> for sceau_proto::Recipient {
    fn from(v: RecipientView) -> Self {
        sceau_proto::Recipient {
            id: v.id,
            kind: v.kind,
            name: v.name,
            siret: v.siret,
            siren: v.siren,
            nir_masked: v.nir_masked,
            email: v.email,
            phone_fixed: v.phone_fixed,
            phone_mobile: v.phone_mobile,
            region: v.region,
        }
    }
}

/// Whether a recipient accepts a nature now, as data: the vault's answer with its refusal typed
/// and its explanation without the next opening, which a face writes itself from
/// `next_opening` (the window, in the user's date style).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reception {
    /// Service is allowed now.
    pub open: bool,
    /// Why not, when closed (`None` for a reason this version does not know).
    pub refusal: Option<Refusal>,
    /// Why not, in French, without the next opening.
    pub explanation: Option<String>,
    /// Next opening, when known.
    pub next_opening: Option<DateTime<Utc>>,
    /// The IANA time zone the next opening is read in (the governing place's; Europe/Paris
    /// when the vault does not say).
    pub time_zone: String,
    /// How that zone is named when it is not Paris's (`heure de Martinique
    /// (America/Martinique)`).
    pub zone_named: Option<String>,
}

impl From<&sceau_proto::ReceptionStatus> for Reception {
    fn from(s: &sceau_proto::ReceptionStatus) -> Self {
        Reception {
            open: s.open,
            refusal: s.reason.as_deref().and_then(|code| {
                Refusal::of_code(code)
                    .map_err(|e| tracing::warn!(code, error = %e, "unknown refusal"))
                    .ok()
            }),
            explanation: s
                .message
                .as_deref()
                .map(|m| sceau_core::reception::explanation(m, s.next_opening).to_owned()),
            next_opening: s.next_opening,
            time_zone: s
                .time_zone
                .clone()
                .unwrap_or_else(|| sceau_core::PARIS.name().to_owned()),
            zone_named: s.zone_named.clone(),
        }
    }
}

/// A recipient's card with whether a nature is open now.
#[derive(Debug, Clone, Serialize)]
pub struct RecipientCard {
    /// The recipient.
    pub recipient: RecipientView,
    /// Reception status for the nature asked, if one was.
    pub reception: Option<sceau_proto::ReceptionStatus>,
}

/// The vault's card as the faces show it.
pub(crate) fn view_of(r: &sceau_proto::Recipient) -> RecipientView {
    RecipientView {
        from_cache: false,
        ..view_of_cached(&cache_of(r))
    }
}

/// The cache keeps the vault's card; a person's NIR is kept only masked, as the vault gives it.
pub(crate) fn cache_of(r: &sceau_proto::Recipient) -> sceau_store::Recipient {
    sceau_store::Recipient {
        id: r.id.clone(),
        kind: r.kind,
        name: r.name.clone(),
        siret: r.siret.clone(),
        siren: r.siren.clone(),
        nir: r.nir_masked.clone(),
        email: r.email.clone(),
        phone_fixed: r.phone_fixed.clone(),
        phone_mobile: r.phone_mobile.clone(),
        region: r.region,
        updated_at: Utc::now(),
    }
}

/// The workstation's copy of a card as the faces show it.
pub(crate) fn view_of_cached(r: &sceau_store::Recipient) -> RecipientView {
    RecipientView {
        id: r.id.clone(),
        kind: r.kind,
        name: r.name.clone(),
        siret: r.siret.clone(),
        siren: r.siren.clone(),
        nir_masked: r.nir.clone(),
        email: r.email.clone(),
        phone_fixed: r.phone_fixed.clone(),
        phone_mobile: r.phone_mobile.clone(),
        region: r.region,
        from_cache: true,
    }
}

impl App {
    /// A new recipient from the office (a person or a company): checked here by the core's
    /// rule (every problem at once: `app.recipient_invalid`, nothing sent), then created in the
    /// vault, which keeps the office and the time. Its card goes into the local cache like a
    /// searched one. When the vault has the recipient already (same SIRET, NIR, or e-mail and
    /// birth date) nothing is created: `app.recipient_duplicate` names the existing cards,
    /// cached too, so the office uses one of them.
    pub async fn add_recipient(&self, auth: Auth<'_>, new: NewRecipient) -> Result<RecipientView> {
        let today = Utc::now().with_timezone(&sceau_core::PARIS).date_naive();
        new.check(today)
            .map_err(|problems| Error::RecipientInvalid { problems })?;
        let client = self.vault_client(auth).await?;
        match client.create_recipient(&new).await? {
            RecipientCreation::Created(card) => {
                self.store().upsert_recipient(&cache_of(&card))?;
                // The vault's id only: the session log holds no personal data.
                self.log("Destinataire créé", &card.id);
                Ok(view_of(&card))
            }
            RecipientCreation::Duplicate { existing, .. } => {
                let mut st = self.store();
                for r in &existing {
                    st.upsert_recipient(&cache_of(r))?;
                }
                Err(Error::RecipientDuplicate {
                    existing: existing.iter().map(view_of).collect(),
                })
            }
        }
    }
}

/// A recipient in a sentence: its name, an identifier (a NIR masked) and its e-mail.
pub(crate) fn label(r: &RecipientView) -> String {
    sceau_proto::Recipient::from(r.clone()).label_fr()
}

/// Recognises a SIRET (14 digits), SIREN (9), NIR (15 characters) or else a name, validating the
/// identifiers with a precise message.
pub fn parse_recipient_query(query: &str) -> Result<RecipientQuery> {
    let compact: String = query.chars().filter(|c| !c.is_whitespace()).collect();
    let invalid = |e: sceau_core::CoreError| Error::Input {
        code: "app.invalid_identifier",
        message: e.message_fr(),
    };
    use sceau_core::ids::{Nir, Siren, Siret};
    let digits = compact.chars().all(|c| c.is_ascii_digit());
    Ok(if digits && compact.len() == 14 {
        RecipientQuery::Siret(Siret::parse(&compact).map_err(invalid)?.as_str().to_owned())
    } else if digits && compact.len() == 9 {
        RecipientQuery::Siren(Siren::parse(&compact).map_err(invalid)?.as_str().to_owned())
    } else if compact.len() == 15 && compact.chars().take(1).all(|c| c == '1' || c == '2') {
        RecipientQuery::Nir(Nir::parse(&compact).map_err(invalid)?.as_str().to_owned())
    } else if query.trim().is_empty() {
        return Err(Error::Input {
            code: "app.empty_query",
            message: "Indiquez un SIRET, un SIREN, un numéro INSEE ou un nom.".into(),
        });
    } else {
        RecipientQuery::Name(query.trim().to_owned())
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn recipient_queries_are_recognised_and_validated() {
        assert_eq!(
            parse_recipient_query("732 829 320 00074").unwrap(),
            RecipientQuery::Siret("73282932000074".into())
        );
        assert_eq!(
            parse_recipient_query("732829320").unwrap(),
            RecipientQuery::Siren("732829320".into())
        );
        assert!(matches!(
            parse_recipient_query("184127645108946").unwrap(),
            RecipientQuery::Nir(_)
        ));
        assert_eq!(
            parse_recipient_query(" banque ").unwrap(),
            RecipientQuery::Name("banque".into())
        );
        // A SIRET with a wrong Luhn digit is refused with a precise message, not searched.
        let e = parse_recipient_query("73282932000075").unwrap_err();
        assert_eq!(e.code(), "app.invalid_identifier");
        assert!(e.message_fr().contains("SIRET"), "{}", e.message_fr());
        assert_eq!(
            parse_recipient_query("  ").unwrap_err().code(),
            "app.empty_query"
        );
    }
}
