//! Natures of acts and their catalogue (`resources/natures.toml`).
//!
//! Catalogue format (TOML): a top-level `version = 1` and one `[[nature]]` table per nature with
//! `code` (upper-case ASCII letters, digits, `_`; at most 64 characters; unique), `label_fr`
//! (non-empty) and `expects_return` (boolean). Unknown keys are refused, so a typo cannot silently
//! drop a setting.

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// One nature of act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nature {
    /// Stable code, used in file names (`<act>_<CODE>.pdf`) and the API.
    pub code: String,
    /// French label shown to users.
    pub label_fr: String,
    /// Whether the recipient answers with a return (e.g. a bank after a saisie-attribution).
    pub expects_return: bool,
}

/// The catalogue of natures, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    /// The natures.
    pub natures: Vec<Nature>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    version: u32,
    #[serde(default)]
    nature: Vec<Nature>,
}

/// The catalogue shipped with Sceau, embedded at compile time.
pub const SHIPPED_CATALOGUE: &str = include_str!("../../../resources/natures.toml");

impl Catalogue {
    /// Parses and checks a catalogue in the TOML format described above.
    pub fn from_toml(text: &str) -> Result<Self, CoreError> {
        let file: CatalogueFile = toml::from_str(text).map_err(|e| CoreError::Catalogue {
            reason: e.message().to_string(),
        })?;
        if file.version != 1 {
            return Err(CoreError::Catalogue {
                reason: format!("version {} inconnue (attendue : 1)", file.version),
            });
        }
        if file.nature.is_empty() {
            return Err(CoreError::Catalogue {
                reason: "aucune nature d'acte".into(),
            });
        }
        for (i, n) in file.nature.iter().enumerate() {
            let code_ok = !n.code.is_empty()
                && n.code.len() <= 64
                && n.code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !code_ok {
                return Err(CoreError::Catalogue {
                    reason: format!(
                        "code « {} » invalide (lettres majuscules, chiffres et _ uniquement)",
                        n.code
                    ),
                });
            }
            if n.label_fr.trim().is_empty() {
                return Err(CoreError::Catalogue {
                    reason: format!("libellé vide pour le code {}", n.code),
                });
            }
            if file.nature.iter().take(i).any(|m| m.code == n.code) {
                return Err(CoreError::Catalogue {
                    reason: format!("code {} en double", n.code),
                });
            }
        }
        Ok(Catalogue {
            natures: file.nature,
        })
    }

    /// The catalogue shipped in `resources/natures.toml`, parsed once per process.
    pub fn shipped() -> Result<&'static Self, CoreError> {
        static SHIPPED: std::sync::OnceLock<Result<Catalogue, CoreError>> =
            std::sync::OnceLock::new();
        SHIPPED
            .get_or_init(|| Self::from_toml(SHIPPED_CATALOGUE))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The nature with this code.
    pub fn get(&self, code: &str) -> Option<&Nature> {
        self.natures.iter().find(|n| n.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalogue_parses() {
        let c = Catalogue::shipped().expect("shipped catalogue is valid");
        assert!(c.natures.len() >= 8);
        let sa = c.get("SAISIE_ATTRIBUTION").expect("present");
        assert!(sa.expects_return);
        assert!(sa
            .label_fr
            .starts_with("Procès-verbal de saisie attribution"));
        assert!(
            c.get("SAISIE_CONSERVATOIRE_CREANCES")
                .expect("present")
                .expects_return
        );
        let sv = c.get("SAISIE_VENTE").expect("present");
        assert_eq!(sv.label_fr, "Saisie vente (titre 5 art 81 à 138)");
        assert!(!sv.expects_return);
        for code in [
            "COMMANDEMENT_DE_PAYER",
            "DENONCIATION",
            "SIGNIFICATION_DE_JUGEMENT",
            "ASSIGNATION",
        ] {
            assert!(c.get(code).is_some(), "{code}");
        }
        // Codes are usable as file-name parts unchanged.
        for n in &c.natures {
            assert_eq!(crate::naming::sanitize(&n.code), n.code);
        }
    }

    #[test]
    fn bad_catalogues_are_refused_with_a_reason() {
        let cases = [
            ("version = 2\n[[nature]]\ncode = \"A\"\nlabel_fr = \"a\"\nexpects_return = false\n", "version 2"),
            ("version = 1\n", "aucune nature"),
            ("version = 1\n[[nature]]\ncode = \"a b\"\nlabel_fr = \"a\"\nexpects_return = false\n", "invalide"),
            ("version = 1\n[[nature]]\ncode = \"A\"\nlabel_fr = \" \"\nexpects_return = false\n", "libellé vide"),
            ("version = 1\n[[nature]]\ncode = \"A\"\nlabel_fr = \"a\"\nexpects_return = false\n[[nature]]\ncode = \"A\"\nlabel_fr = \"b\"\nexpects_return = true\n", "en double"),
            ("version = 1\n[[nature]]\ncode = \"A\"\nlabel_fr = \"a\"\nexpect_return = false\n", "unknown field"),
            ("version = 1\n[[nature]]\ncode = \"A\"\nlabel_fr = \"a\"\n", "missing field"),
            ("not toml at all", ""),
        ];
        for (text, needle) in cases {
            let err = Catalogue::from_toml(text).expect_err(text);
            assert_eq!(err.code(), "natures.catalogue");
            assert!(
                err.message_fr().contains(needle),
                "{needle}: {}",
                err.message_fr()
            );
        }
    }
}
