//! What a service must say before anything is converted, signed or deposited: its reference,
//! its requérant, its nature and at least one document. One check for the window's form, every
//! line of an EDI batch and the vault's acceptance; the window shows the same limits
//! ([`REFERENCE_MAX`], [`REQUERANT_MAX`]), generated from here.

use crate::natures::{Catalogue, Nature};

/// Longest deposit reference, in characters (it is a component of every file name).
pub const REFERENCE_MAX: usize = crate::naming::MAX_COMPONENT;

/// Longest name of the requérant (the party for whom the act is served), in characters.
pub const REQUERANT_MAX: usize = 200;

/// One thing wrong with a service draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftProblem {
    /// No deposit reference.
    ReferenceMissing,
    /// A reference over [`REFERENCE_MAX`] characters.
    ReferenceTooLong {
        /// Characters found.
        chars: usize,
    },
    /// A reference holding a control character (a line break, a tab...).
    ReferenceControl,
    /// No requérant.
    RequerantMissing,
    /// A requérant over [`REQUERANT_MAX`] characters.
    RequerantTooLong {
        /// Characters found.
        chars: usize,
    },
    /// A requérant holding a control character.
    RequerantControl,
    /// No recipient named.
    RecipientMissing,
    /// A nature code absent from the catalogue.
    NatureUnknown {
        /// The code given.
        code: String,
    },
    /// No document to serve.
    NoDocument,
}

impl DraftProblem {
    /// One problem of every kind, for the error-vocabulary tests.
    #[doc(hidden)]
    pub fn examples() -> Vec<DraftProblem> {
        vec![
            DraftProblem::ReferenceMissing,
            DraftProblem::ReferenceTooLong { chars: 101 },
            DraftProblem::ReferenceControl,
            DraftProblem::RequerantMissing,
            DraftProblem::RequerantTooLong { chars: 201 },
            DraftProblem::RequerantControl,
            DraftProblem::RecipientMissing,
            DraftProblem::NatureUnknown { code: "X".into() },
            DraftProblem::NoDocument,
        ]
    }

    /// Stable code (`draft.*`), the same from the form, an EDI line and the vault.
    pub fn code(&self) -> &'static str {
        match self {
            DraftProblem::ReferenceMissing => "draft.no_reference",
            DraftProblem::ReferenceTooLong { .. } => "draft.reference_too_long",
            DraftProblem::ReferenceControl => "draft.reference_control",
            DraftProblem::RequerantMissing => "draft.no_requerant",
            DraftProblem::RequerantTooLong { .. } => "draft.requerant_too_long",
            DraftProblem::RequerantControl => "draft.requerant_control",
            DraftProblem::RecipientMissing => "draft.no_recipient",
            DraftProblem::NatureUnknown { .. } => "draft.unknown_nature",
            DraftProblem::NoDocument => "draft.no_document",
        }
    }

    /// What is wrong and what to do, in French (an EDI line puts "Ligne N : " before it).
    pub fn message_fr(&self) -> String {
        match self {
            DraftProblem::ReferenceMissing => {
                "Indiquez une référence de dépôt : elle est obligatoire et figure dans le nom des fichiers.".into()
            }
            DraftProblem::ReferenceTooLong { chars } => format!(
                "La référence de dépôt comporte {chars} caractères ; {REFERENCE_MAX} au plus sont acceptés. Raccourcissez-la."
            ),
            DraftProblem::ReferenceControl => {
                "La référence de dépôt contient un caractère de contrôle (saut de ligne, tabulation…). Saisissez-la de nouveau.".into()
            }
            DraftProblem::RequerantMissing => {
                "Indiquez le requérant (la partie pour qui l'acte est signifié) : il figure sur la lettre simple.".into()
            }
            DraftProblem::RequerantTooLong { chars } => format!(
                "Le nom du requérant comporte {chars} caractères ; {REQUERANT_MAX} au plus sont acceptés."
            ),
            DraftProblem::RequerantControl => {
                "Le nom du requérant contient un caractère de contrôle (saut de ligne, tabulation…). Saisissez-le de nouveau.".into()
            }
            DraftProblem::RecipientMissing => {
                "Indiquez le destinataire (SIRET ou identifiant).".into()
            }
            DraftProblem::NatureUnknown { code } => format!(
                "Nature d'acte inconnue « {code} ». Choisissez une nature du catalogue (ex. SAISIE_ATTRIBUTION)."
            ),
            DraftProblem::NoDocument => {
                "Ajoutez au moins un document à signifier (.pdf, .doc, .docx, .odt).".into()
            }
        }
    }
}

/// A service as typed in the form or read from an EDI line, before any check.
#[derive(Debug, Clone, Copy)]
pub struct Draft<'a> {
    /// Deposit reference (trimmed here).
    pub reference: &'a str,
    /// Recipient key: SIRET or identifier (trimmed here).
    pub recipient: &'a str,
    /// Requérant (trimmed here).
    pub requerant: &'a str,
    /// Nature code.
    pub nature: &'a str,
    /// How many documents are attached.
    pub documents: usize,
}

impl Draft<'_> {
    /// Every problem of the draft, in the order of the form, with the nature when it is known.
    pub fn check<'c>(&self, catalogue: &'c Catalogue) -> (Vec<DraftProblem>, Option<&'c Nature>) {
        let mut problems = Vec::new();
        problems.extend(reference_problem(self.reference));
        problems.extend(requerant_problem(self.requerant));
        if self.recipient.trim().is_empty() {
            problems.push(DraftProblem::RecipientMissing);
        }
        let nature = catalogue.get(self.nature.trim());
        if nature.is_none() {
            problems.push(DraftProblem::NatureUnknown {
                code: self.nature.trim().to_owned(),
            });
        }
        if self.documents == 0 {
            problems.push(DraftProblem::NoDocument);
        }
        (problems, nature)
    }
}

/// The problem of a deposit reference, if any (the vault checks deposits with it too).
pub fn reference_problem(reference: &str) -> Option<DraftProblem> {
    text_problem(
        reference,
        REFERENCE_MAX,
        DraftProblem::ReferenceMissing,
        |chars| DraftProblem::ReferenceTooLong { chars },
        DraftProblem::ReferenceControl,
    )
}

/// The problem of a requérant's name, if any.
pub fn requerant_problem(requerant: &str) -> Option<DraftProblem> {
    text_problem(
        requerant,
        REQUERANT_MAX,
        DraftProblem::RequerantMissing,
        |chars| DraftProblem::RequerantTooLong { chars },
        DraftProblem::RequerantControl,
    )
}

fn text_problem(
    text: &str,
    max: usize,
    missing: DraftProblem,
    too_long: impl FnOnce(usize) -> DraftProblem,
    control: DraftProblem,
) -> Option<DraftProblem> {
    let t = text.trim();
    let chars = t.chars().count();
    if chars == 0 {
        Some(missing)
    } else if chars > max {
        Some(too_long(chars))
    } else if t.chars().any(char::is_control) {
        Some(control)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft<'a>(reference: &'a str, requerant: &'a str, nature: &'a str) -> Draft<'a> {
        Draft {
            reference,
            recipient: "44306184100047",
            requerant,
            nature,
            documents: 1,
        }
    }

    #[test]
    fn a_complete_draft_has_no_problem_and_its_nature() {
        let cat = Catalogue::shipped().unwrap();
        let (problems, nature) =
            draft(" R-1 ", "Banque créancière", "SAISIE_ATTRIBUTION").check(cat);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(nature.unwrap().code, "SAISIE_ATTRIBUTION");
    }

    #[test]
    fn every_problem_is_reported_in_the_order_of_the_form() {
        let cat = Catalogue::shipped().unwrap();
        let d = Draft {
            reference: "  ",
            recipient: "",
            requerant: "a\u{7}b",
            nature: "NOPE",
            documents: 0,
        };
        let (problems, nature) = d.check(cat);
        assert!(nature.is_none());
        assert_eq!(
            problems.iter().map(DraftProblem::code).collect::<Vec<_>>(),
            [
                "draft.no_reference",
                "draft.requerant_control",
                "draft.no_recipient",
                "draft.unknown_nature",
                "draft.no_document"
            ]
        );
    }

    #[test]
    fn limits_are_counted_in_characters_not_bytes() {
        // 100 accented letters are 200 bytes but within the limit; 101 are not.
        assert_eq!(reference_problem(&"é".repeat(REFERENCE_MAX)), None);
        assert_eq!(
            reference_problem(&"é".repeat(REFERENCE_MAX + 1)),
            Some(DraftProblem::ReferenceTooLong { chars: 101 })
        );
        assert_eq!(requerant_problem(&"É".repeat(REQUERANT_MAX)), None);
        assert_eq!(
            requerant_problem(&"x".repeat(REQUERANT_MAX + 1)),
            Some(DraftProblem::RequerantTooLong { chars: 201 })
        );
        assert_eq!(
            reference_problem("R\n1"),
            Some(DraftProblem::ReferenceControl)
        );
    }

    #[test]
    fn codes_are_distinct_and_messages_say_what_to_do() {
        let all = DraftProblem::examples();
        let mut codes: Vec<_> = all.iter().map(DraftProblem::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        for p in &all {
            assert!(p.message_fr().ends_with('.'), "{}", p.message_fr());
        }
    }
}
