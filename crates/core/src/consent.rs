//! Consent to electronic service (CPC 748-2): whether a consent is in force for a nature of act at
//! a given time, and the mention of it the act must carry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::attestation::ConsentSnapshot;

/// A recipient's consent as kept in the vault's register, and as the workstation caches it:
/// instants, not days (a consent given at 15:00 does not cover a deposit at 09:00 the same day),
/// and the natures it covers always listed (there is no "empty means every nature").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Id in the register.
    pub id: String,
    /// The recipient who consented (vault id).
    pub recipient_id: String,
    /// Natures of acts (catalogue codes) covered; never empty in the register.
    pub natures: Vec<String>,
    /// When it was given (in force from this instant).
    pub given_at: DateTime<Utc>,
    /// When it ends (no longer in force from this instant), if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked (no longer in force from this instant), if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// How it was given: `portail` (the recipient on the portal, after an office's
    /// invitation) or the operator's words for a convention (e.g. `convention`).
    pub how: String,
}

/// Whether a consent allows a deposit, and if not why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConsentStatus {
    /// In force for this nature at this time.
    InForce,
    /// Given after the time considered.
    NotYetGiven,
    /// Expired at or before the time considered.
    Expired,
    /// Revoked at or before the time considered.
    Revoked,
    /// In force, but not for this nature of act.
    NatureNotCovered,
    /// The recipient has no consent at all.
    Missing,
}

impl ConsentStatus {
    /// A stable code for the API.
    pub fn code(self) -> &'static str {
        match self {
            ConsentStatus::InForce => "consent.in_force",
            ConsentStatus::NotYetGiven => "consent.not_yet_given",
            ConsentStatus::Expired => "consent.expired",
            ConsentStatus::Revoked => "consent.revoked",
            ConsentStatus::NatureNotCovered => "consent.nature_not_covered",
            ConsentStatus::Missing => "consent.missing",
        }
    }

    /// The French sentence for the office.
    pub fn message_fr(self) -> &'static str {
        match self {
            ConsentStatus::InForce => {
                "Le destinataire a consenti à la signification électronique de ce type d'acte."
            }
            ConsentStatus::NotYetGiven => {
                "Le consentement du destinataire n'était pas encore donné à cette date : \
                 la signification électronique est impossible."
            }
            ConsentStatus::Expired => {
                "Le consentement du destinataire à la signification électronique a expiré : \
                 signifiez l'acte par un autre moyen ou obtenez un nouveau consentement."
            }
            ConsentStatus::Revoked => {
                "Le destinataire a révoqué son consentement à la signification électronique : \
                 signifiez l'acte par un autre moyen."
            }
            ConsentStatus::NatureNotCovered => {
                "Le consentement du destinataire ne couvre pas cette nature d'acte : \
                 choisissez une autre nature ou signifiez l'acte par un autre moyen."
            }
            ConsentStatus::Missing => {
                "Le destinataire n'a pas consenti à la signification par voie électronique \
                 (article 748-2 du code de procédure civile)."
            }
        }
    }
}

impl Consent {
    /// The status of this consent for `nature_code` at `at`.
    pub fn status(&self, nature_code: &str, at: DateTime<Utc>) -> ConsentStatus {
        if at < self.given_at {
            ConsentStatus::NotYetGiven
        } else if self.revoked_at.is_some_and(|r| r <= at) {
            ConsentStatus::Revoked
        } else if self.expires_at.is_some_and(|e| e <= at) {
            ConsentStatus::Expired
        } else if !self.natures.iter().any(|n| n == nature_code) {
            ConsentStatus::NatureNotCovered
        } else {
            ConsentStatus::InForce
        }
    }

    /// The snapshot recorded in the deposit attestation.
    pub fn snapshot(&self) -> ConsentSnapshot {
        ConsentSnapshot {
            id: self.id.clone(),
            given_at: self.given_at,
            natures: self.natures.clone(),
            expires: self.expires_at,
        }
    }
}

/// The consent in force for `nature_code` at `at` among a recipient's consents (the most recently
/// given one if several), or the most telling reason why none is.
pub fn find_in_force<'a>(
    consents: &'a [Consent],
    nature_code: &str,
    at: DateTime<Utc>,
) -> Result<&'a Consent, ConsentStatus> {
    let mut best_refusal = ConsentStatus::Missing;
    let mut found: Option<&Consent> = None;
    for c in consents {
        match c.status(nature_code, at) {
            ConsentStatus::InForce => {
                if found.is_none_or(|f| c.given_at > f.given_at) {
                    found = Some(c);
                }
            }
            // A consent for another nature is the most useful thing to tell; then revocation,
            // expiry, a consent given later.
            s => {
                if rank(s) > rank(best_refusal) {
                    best_refusal = s;
                }
            }
        }
    }
    found.ok_or(best_refusal)
}

fn rank(s: ConsentStatus) -> u8 {
    match s {
        ConsentStatus::Missing => 0,
        ConsentStatus::NotYetGiven => 1,
        ConsentStatus::Expired => 2,
        ConsentStatus::Revoked => 3,
        ConsentStatus::NatureNotCovered => 4,
        ConsentStatus::InForce => 5,
    }
}

/// The standard mention of the consent the app offers to stamp on the act.
pub const CONSENT_MENTION_FR: &str = "Le destinataire a consenti à la signification par voie \
électronique du présent acte, conformément aux articles 662-1 et 748-1 et suivants du code de \
procédure civile.";

/// Whether an act's text mentions the recipient's consent: it speaks of consent ("consent…") and
/// cites both article 662-1 and article 748-1 of the CPC. Case, accents, line breaks and the kind
/// of hyphen do not matter (text extracted from a PDF often splits or alters them).
pub fn mentions_consent(text: &str) -> bool {
    let mut norm = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{00AD}' => '-',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' && norm.ends_with(' ') {
            continue;
        }
        norm.extend(c.to_lowercase());
    }
    let compact = norm
        .replace(" - ", "-")
        .replace("- ", "-")
        .replace(" -", "-");
    let negated = NEGATIONS.iter().any(|n| compact.contains(n));
    !negated
        && compact.contains("consent")
        && compact.contains("662-1")
        && compact.contains("748-1")
}

/// Phrasings saying the recipient did *not* consent (after [`mentions_consent`]'s
/// normalisation): such an act never passes as mentioning consent.
const NEGATIONS: &[&str] = &[
    "pas consenti",
    "ne consent pas",
    "ne consentent pas",
    "jamais consenti",
    "sans son consentement",
    "sans le consentement",
    "sans consentement",
    "pas donné son consentement",
    "refusé la signification par voie électronique",
    "refusé de consentir",
];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
            .single()
            .expect("valid")
    }

    fn consent(id: &str, natures: &[&str], given: DateTime<Utc>) -> Consent {
        Consent {
            id: id.into(),
            recipient_id: "R1".into(),
            natures: natures.iter().map(|s| s.to_string()).collect(),
            given_at: given,
            expires_at: None,
            revoked_at: None,
            how: "portail".into(),
        }
    }

    #[test]
    fn status_at_boundaries() {
        let mut c = consent("c1", &["SAISIE_ATTRIBUTION"], t(2026, 1, 1));
        c.expires_at = Some(t(2027, 1, 1));
        assert_eq!(
            c.status("SAISIE_ATTRIBUTION", t(2025, 12, 31)),
            ConsentStatus::NotYetGiven
        );
        assert_eq!(
            c.status("SAISIE_ATTRIBUTION", t(2026, 1, 1)),
            ConsentStatus::InForce
        );
        assert_eq!(
            c.status("SAISIE_VENTE", t(2026, 6, 1)),
            ConsentStatus::NatureNotCovered
        );
        assert_eq!(
            c.status("SAISIE_ATTRIBUTION", t(2027, 1, 1)),
            ConsentStatus::Expired
        );
        c.revoked_at = Some(t(2026, 6, 1));
        assert_eq!(
            c.status("SAISIE_ATTRIBUTION", t(2026, 5, 31)),
            ConsentStatus::InForce
        );
        assert_eq!(
            c.status("SAISIE_ATTRIBUTION", t(2026, 6, 1)),
            ConsentStatus::Revoked
        );
        let snap = c.snapshot();
        assert_eq!(
            (snap.id.as_str(), snap.expires),
            ("c1", Some(t(2027, 1, 1)))
        );
    }

    #[test]
    fn find_in_force_picks_latest_or_best_reason() {
        let old = consent("old", &["A"], t(2024, 1, 1));
        let new = consent("new", &["A", "B"], t(2025, 1, 1));
        let list = [old.clone(), new.clone()];
        assert_eq!(
            find_in_force(&list, "A", t(2026, 1, 1)).map(|c| c.id.as_str()),
            Ok("new")
        );
        assert_eq!(
            find_in_force(&list, "C", t(2026, 1, 1)),
            Err(ConsentStatus::NatureNotCovered)
        );
        assert_eq!(
            find_in_force(&[], "A", t(2026, 1, 1)),
            Err(ConsentStatus::Missing)
        );
        let mut revoked = old;
        revoked.revoked_at = Some(t(2024, 6, 1));
        assert_eq!(
            find_in_force(&[revoked], "A", t(2026, 1, 1)),
            Err(ConsentStatus::Revoked)
        );
        assert!(ConsentStatus::Missing.message_fr().contains("748-2"));
    }

    #[test]
    fn consent_mention() {
        assert!(mentions_consent(CONSENT_MENTION_FR));
        assert!(mentions_consent(
            "LE DESTINATAIRE A CONSENTI ... ARTICLES 662\u{2011}1\net 748 -\n1 DU CPC"
        ));
        assert!(!mentions_consent(
            "conformément à l'article 662-1 du code de procédure civile"
        ));
        assert!(!mentions_consent(
            "Le destinataire a consenti (article 748-1)."
        ));
        assert!(!mentions_consent(""));
        for negated in [
            "Le destinataire n'a pas consenti à la signification par voie électronique \
             (articles 662-1 et 748-1 du code de procédure civile).",
            "Le destinataire n\u{2019}a  PAS\nconsenti (art. 662-1, 748-1 CPC).",
            "Signifié sans le consentement du destinataire, articles 662-1 et 748-1.",
            "Le destinataire a refusé la signification par voie électronique (662-1, 748-1).",
        ] {
            assert!(!mentions_consent(negated), "{negated}");
        }
    }
}
