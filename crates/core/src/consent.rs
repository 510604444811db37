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

/// Version of the declaration a recipient accepts on the portal (recorded with the consent).
pub const DECLARATION_VERSION: &str = "sceau-declaration-2026-12";

/// What the recipient is asked to accept, paragraph by paragraph, in French: the office
/// (`office`, e.g. "Maître Jeanne DUPONT, commissaire de justice, étude 9991"), the natures of
/// acts (labels), the duration, what electronic service means for them (CPC 662-1: "à personne"
/// when opened on the day it is sent, otherwise "à domicile", with a plain letter) and how to
/// revoke. The same text on the portal's page and in the sealed declaration.
pub fn declaration_fr(
    office: &str,
    nature_labels: &[&str],
    until: Option<DateTime<Utc>>,
) -> Vec<String> {
    let natures = nature_labels
        .iter()
        .map(|l| format!("« {l} »"))
        .collect::<Vec<_>>()
        .join(", ");
    let duration = match until {
        Some(t) => format!(
            "Ce consentement vaut jusqu'au {} (heure de Paris), sauf révocation.",
            crate::naming::format_paris(t)
        ),
        None => "Ce consentement vaut sans limite de durée, jusqu'à sa révocation.".to_owned(),
    };
    vec![
        format!(
            "J'accepte que {office} me signifie par voie électronique, dans mon coffre-fort \
             électronique, les actes des natures suivantes : {natures} (articles 748-1 et \
             suivants et 662-1 du code de procédure civile)."
        ),
        duration,
        "Chaque acte déposé me sera annoncé par courriel et par SMS. Si je l'ouvre le jour de son \
         envoi, la signification est faite à personne ; sinon elle est faite à domicile, et une \
         lettre simple m'en avise à mon adresse postale. Dans les deux cas l'acte produit ses \
         effets : il m'appartient de consulter mon coffre-fort."
            .to_owned(),
        "Je peux révoquer ce consentement à tout moment, depuis le lien de l'invitation : la \
         révocation vaut pour les actes déposés après elle ; les actes déposés avant restent \
         signifiés."
            .to_owned(),
        "Je confirme avoir reçu les deux codes de vérification à mon adresse électronique et sur \
         mon téléphone mobile."
            .to_owned(),
    ]
}

/// An e-mail address as shown in records and pages: its first character and its domain
/// (`j***@exemple.fr`).
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!(
            "{}***@{domain}",
            local.chars().next().map(String::from).unwrap_or_default()
        ),
        None => "***".to_owned(),
    }
}

/// A mobile number as shown in records and pages: its country code and last two digits
/// (`+33 * ** ** ** 78`).
pub fn mask_mobile(e164: &str) -> String {
    let digits: Vec<char> = e164.chars().filter(char::is_ascii_digit).collect();
    let last: String = digits.iter().rev().take(2).rev().collect();
    let cc = ["262", "590", "594", "596", "33"]
        .into_iter()
        .find(|cc| e164.trim_start_matches('+').starts_with(cc))
        .unwrap_or("");
    format!("+{cc} * ** ** ** {last}")
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
    fn contacts_are_masked_and_the_declaration_names_everything() {
        assert_eq!(mask_email("jeanne.martin@exemple.fr"), "j***@exemple.fr");
        assert_eq!(mask_mobile("+33612345678"), "+33 * ** ** ** 78");
        assert_eq!(mask_mobile("+262692123456"), "+262 * ** ** ** 56");
        let text = declaration_fr(
            "Maître Jeanne DUPONT, étude 9991",
            &["Saisie-attribution"],
            None,
        )
        .join("\n");
        for part in [
            "Maître Jeanne DUPONT",
            "« Saisie-attribution »",
            "662-1",
            "748-1",
            "à personne",
            "à domicile",
            "révoquer",
            "sans limite",
        ] {
            assert!(text.contains(part), "{part}: {text}");
        }
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
