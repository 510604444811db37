//! The crate's single error type, with a stable code and a French message for the clerk.

use thiserror::Error;

/// Every error sceau-core can report; each carries what the user needs to correct the input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CoreError {
    /// An identifier (SIREN, SIRET, NIR) has the wrong number of characters.
    #[error("{kind}: expected {expected} characters, found {found}")]
    IdWrongLength {
        /// Which identifier ("SIREN", "SIRET", "NIR").
        kind: &'static str,
        /// Required length.
        expected: usize,
        /// Length found after removing spaces.
        found: usize,
    },
    /// An identifier contains a character that is not allowed at that position.
    #[error("{kind}: invalid character {found:?} at position {position}")]
    IdBadCharacter {
        /// Which identifier.
        kind: &'static str,
        /// 1-based position, spaces removed.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// A SIREN or SIRET fails its Luhn check (or the La Poste rule).
    #[error("{kind}: check digit is wrong")]
    IdBadChecksum {
        /// Which identifier.
        kind: &'static str,
    },
    /// A NIR's two-digit key does not match 97 − (number mod 97).
    #[error("NIR: key {found:02} is wrong, expected {expected:02}")]
    NirBadKey {
        /// The key computed from the first 13 characters.
        expected: u8,
        /// The key that was typed.
        found: u8,
    },
    /// A reception window is not usable (start not before end, no weekday).
    #[error("invalid reception window: {reason}")]
    InvalidWindow {
        /// What is wrong with it.
        reason: String,
    },
    /// A stored evidence record cannot be decoded from its canonical bytes.
    #[error("evidence record undecodable at byte {offset}: {reason}")]
    EvidenceDecode {
        /// Byte offset where decoding failed.
        offset: usize,
        /// What was wrong there.
        reason: &'static str,
    },
    /// A deposit package does not have the expected entries.
    #[error("deposit package: {reason}")]
    PackageLayout {
        /// Which entry is wrong or missing (French, shown to the clerk).
        reason: String,
    },
    /// A stored or received code names no known value (a delivery state, a source).
    #[error("unknown {what} {value:?}")]
    UnknownCode {
        /// Which kind of value (`delivery_state`, `source`).
        what: &'static str,
        /// The code found.
        value: String,
    },
    /// The catalogue of natures of acts cannot be read.
    #[error("catalogue of natures: {reason}")]
    Catalogue {
        /// Parser message or rule broken.
        reason: String,
    },
    /// A département or collectivité code names no place of France ([`crate::region`]).
    #[error("unknown region code {code:?}")]
    UnknownRegion {
        /// The code given (at most 20 characters kept).
        code: String,
    },
    /// A postal code names no département or collectivité ([`crate::region`]).
    #[error("unknown postal code {postal_code:?}")]
    UnknownPostalCode {
        /// The postal code given (at most 20 characters kept).
        postal_code: String,
    },
    /// A service draft lacks something or says too much ([`crate::draft`]).
    #[error("service draft: {0:?}")]
    Draft(crate::draft::DraftProblem),
    /// A new recipient lacks something or says it wrong ([`crate::recipient`]).
    #[error("new recipient: {0}")]
    Recipient(crate::recipient::RecipientProblem),
}

impl CoreError {
    /// One error of every variant, for the workspace's error-vocabulary test (each code once,
    /// prefixed once, a French message that names no command-line tool). Add the example of a
    /// new variant beside its arm in [`CoreError::code`].
    #[doc(hidden)]
    pub fn examples() -> Vec<CoreError> {
        vec![
            CoreError::IdWrongLength {
                kind: "SIRET",
                expected: 14,
                found: 13,
            },
            CoreError::IdBadCharacter {
                kind: "NIR",
                position: 3,
                found: 'x',
            },
            CoreError::IdBadChecksum { kind: "SIREN" },
            CoreError::NirBadKey {
                expected: 36,
                found: 37,
            },
            CoreError::InvalidWindow {
                reason: "aucun jour".into(),
            },
            CoreError::EvidenceDecode {
                offset: 3,
                reason: "tag",
            },
            CoreError::PackageLayout {
                reason: "acte manquant".into(),
            },
            CoreError::UnknownCode {
                what: "delivery_state",
                value: "x".into(),
            },
            CoreError::Catalogue {
                reason: "ligne 3".into(),
            },
            CoreError::UnknownRegion { code: "99".into() },
            CoreError::UnknownPostalCode {
                postal_code: "98000".into(),
            },
        ]
        .into_iter()
        .chain(
            crate::draft::DraftProblem::examples()
                .into_iter()
                .map(CoreError::Draft),
        )
        .chain(
            crate::recipient::RecipientProblem::examples()
                .into_iter()
                .map(CoreError::Recipient),
        )
        .collect()
    }

    /// A stable, machine-readable code (never changes once published; the UI and API use it).
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::IdWrongLength { .. } => "id.wrong_length",
            CoreError::IdBadCharacter { .. } => "id.bad_character",
            CoreError::IdBadChecksum { .. } => "id.bad_checksum",
            CoreError::NirBadKey { .. } => "id.nir_bad_key",
            CoreError::InvalidWindow { .. } => "hours.invalid_window",
            CoreError::Catalogue { .. } => "natures.catalogue",
            CoreError::EvidenceDecode { .. } => "evidence.decode",
            CoreError::PackageLayout { .. } => "package.layout",
            CoreError::UnknownCode { .. } => "core.unknown_code",
            CoreError::UnknownRegion { .. } => "hours.unknown_region",
            CoreError::UnknownPostalCode { .. } => "hours.unknown_postal_code",
            CoreError::Draft(p) => p.code(),
            CoreError::Recipient(p) => p.code(),
        }
    }

    /// A precise French sentence a clerk can act on.
    pub fn message_fr(&self) -> String {
        match self {
            CoreError::IdWrongLength {
                kind,
                expected,
                found,
            } => format!(
                "Le numéro {} doit comporter {expected} caractères (espaces non comptés) ; \
                 {found} ont été saisis. Vérifiez le numéro.",
                label_fr(kind)
            ),
            CoreError::IdBadCharacter {
                kind,
                position,
                found,
            } => format!(
                "Le numéro {} contient un caractère non autorisé « {} » en position {position}. \
                 Seuls des chiffres sont acceptés{}.",
                label_fr(kind),
                found.escape_default(),
                if *kind == "NIR" {
                    " (et 2A ou 2B pour le département de naissance en Corse)"
                } else {
                    ""
                }
            ),
            CoreError::IdBadChecksum { kind } => format!(
                "Le numéro {} saisi n'est pas valide : la clé de contrôle ne correspond pas. \
                 Vérifiez qu'aucun chiffre n'a été inversé ou mal recopié.",
                label_fr(kind)
            ),
            CoreError::NirBadKey { expected, found } => format!(
                "Le numéro INSEE (NIR) saisi n'est pas valide : la clé {found:02} ne correspond pas \
                 aux 13 premiers caractères (clé attendue {expected:02}). Vérifiez le numéro."
            ),
            CoreError::InvalidWindow { reason } => format!(
                "Plage horaire de réception invalide : {reason}. Corrigez les horaires du destinataire."
            ),
            CoreError::EvidenceDecode { offset, reason } => format!(
                "Une preuve du journal est illisible (octet {offset} : {reason}). Le journal a pu \
                 être altéré : conservez-le en l'état et prévenez l'administrateur."
            ),
            CoreError::PackageLayout { reason } => format!(
                "Le dossier de signification est incomplet ou mal formé : {reason}. \
                 Préparez de nouveau la signification."
            ),
            CoreError::UnknownCode { what, value } => format!(
                "Une donnée enregistrée est illisible ({what} « {value} » inconnu). Mettez Sceau \
                 à jour ; si le problème persiste, contactez le support."
            ),
            CoreError::Catalogue { reason } => format!(
                "Le catalogue des natures d'actes est illisible : {reason}. \
                 Contactez l'administrateur du service."
            ),
            CoreError::UnknownRegion { code } => format!(
                "« {code} » n'est pas un code de département ou de collectivité d'outre-mer \
                 connu. Indiquez un département (01 à 95, 2A, 2B) ou 971 à 978."
            ),
            CoreError::UnknownPostalCode { postal_code } => format!(
                "Le code postal « {postal_code} » ne correspond à aucun département ni \
                 collectivité d'outre-mer desservis (cinq chiffres, 01000 à 97699). \
                 Vérifiez l'adresse."
            ),
            CoreError::Draft(p) => p.message_fr(),
            CoreError::Recipient(p) => p.message_fr(),
        }
    }
}

fn label_fr(kind: &str) -> &'static str {
    match kind {
        "SIREN" => "SIREN",
        "SIRET" => "SIRET",
        _ => "INSEE (NIR)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_messages_french() {
        let all = CoreError::examples();
        let mut codes: Vec<_> = all.iter().map(|e| e.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert!(all[0].message_fr().contains("14 caractères"));
        assert!(all[1].message_fr().contains("position 3"));
        assert!(all[3].message_fr().contains("clé attendue 36"));
    }
}
