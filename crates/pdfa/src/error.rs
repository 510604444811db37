//! The one error type of `sceau-pdfa`.

use std::path::PathBuf;

/// Why a document could not be converted to PDF/A-1b.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The content is none of the accepted formats (PDF, .doc, .docx, .odt).
    #[error("unsupported input format: {found}")]
    UnsupportedFormat {
        /// What the content looks like.
        found: String,
    },
    /// The file name announces another format than its content.
    #[error("file name says {named}, content is {found}")]
    MisleadingName {
        /// The format the name suggests.
        named: String,
        /// The format found in the content.
        found: String,
    },
    /// The PDF needs a password to be opened.
    #[error("PDF is protected by a user password")]
    PasswordProtected,
    /// The PDF is damaged beyond what can be read faithfully.
    #[error("corrupt PDF: {detail}")]
    Corrupt {
        /// What the reader reported.
        detail: String,
    },
    /// The PDF already carries a digital signature, which a rewrite would break.
    #[error("PDF already carries a digital signature")]
    AlreadySigned,
    /// No route produced a faithful, conformant PDF/A-1b.
    #[error("no conversion route succeeded: {}", .attempts.join("; "))]
    NotConvertible {
        /// One line per route tried: which, and why it was not accepted.
        attempts: Vec<String>,
    },
    /// LibreOffice is needed for this document and is not installed.
    #[error("LibreOffice (soffice) not found")]
    OfficeMissing,
    /// An external converter did not finish in time.
    #[error("{tool} timed out after {seconds} s")]
    Timeout {
        /// The tool that was stopped.
        tool: String,
        /// The time limit.
        seconds: u64,
    },
    /// An external converter failed.
    #[error("{tool} failed: {detail}")]
    ToolFailed {
        /// The tool.
        tool: String,
        /// Its exit status and the end of its error output.
        detail: String,
    },
    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// One error of every variant, for the workspace's error-vocabulary test (each code once,
    /// prefixed once, a French message that names no command-line tool). Add the example of a
    /// new variant beside its arm in [`Error::code`].
    #[doc(hidden)]
    pub fn examples() -> Vec<Error> {
        vec![
            Error::UnsupportedFormat {
                found: "image PNG".into(),
            },
            Error::MisleadingName {
                named: "PDF".into(),
                found: "Word".into(),
            },
            Error::PasswordProtected,
            Error::Corrupt {
                detail: "xref".into(),
            },
            Error::AlreadySigned,
            Error::NotConvertible {
                attempts: vec!["natif : polices".into()],
            },
            Error::OfficeMissing,
            Error::Timeout {
                tool: "Ghostscript".into(),
                seconds: 60,
            },
            Error::ToolFailed {
                tool: "LibreOffice".into(),
                detail: "exit 1".into(),
            },
            Error::Io {
                path: "/acte.pdf".into(),
                source: std::io::Error::other("disk"),
            },
        ]
    }

    /// A stable machine-readable code, e.g. `pdfa.password_protected`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::UnsupportedFormat { .. } => "pdfa.unsupported_format",
            Error::MisleadingName { .. } => "pdfa.misleading_name",
            Error::PasswordProtected => "pdfa.password_protected",
            Error::Corrupt { .. } => "pdfa.corrupt",
            Error::AlreadySigned => "pdfa.already_signed",
            Error::NotConvertible { .. } => "pdfa.not_convertible",
            Error::OfficeMissing => "pdfa.office_missing",
            Error::Timeout { .. } => "pdfa.timeout",
            Error::ToolFailed { .. } => "pdfa.tool_failed",
            Error::Io { .. } => "pdfa.io",
        }
    }

    /// What happened and what to do, in French, for a clerk.
    pub fn message_fr(&self) -> String {
        match self {
            Error::UnsupportedFormat { found } => format!(
                "Format non accepté ({found}) : seuls les fichiers PDF, Word (.doc, .docx) et \
                 OpenDocument texte (.odt) peuvent être signifiés. Enregistrez l'acte dans l'un de \
                 ces formats."
            ),
            Error::MisleadingName { named, found } => format!(
                "Le nom du fichier annonce : {named} ; son contenu est : {found}. Vérifiez que \
                 vous avez choisi le bon fichier."
            ),
            Error::PasswordProtected => "Le PDF est protégé par un mot de passe d'ouverture : \
                 enregistrez-le sans mot de passe puis recommencez."
                .into(),
            Error::Corrupt { .. } => "Le PDF est endommagé (fichier tronqué ou illisible) : \
                 produisez-le à nouveau depuis le logiciel d'origine."
                .into(),
            Error::AlreadySigned => "Le PDF porte déjà une signature électronique : le convertir \
                 la rendrait invalide. Joignez le document d'origine non signé."
                .into(),
            Error::NotConvertible { attempts } => format!(
                "Impossible de produire un PDF/A-1b fidèle à l'original ({}). Enregistrez l'acte \
                 en PDF/A depuis le logiciel d'origine ou joignez-le au format Word.",
                attempts.join(" ; ")
            ),
            Error::OfficeMissing => "LibreOffice n'est pas installé : il est nécessaire pour \
                 convertir les documents Word et OpenDocument. Installez LibreOffice ou joignez \
                 l'acte en PDF."
                .into(),
            Error::Timeout { tool, seconds } => format!(
                "La conversion par {tool} n'a pas abouti en {seconds} secondes. Réessayez ; si \
                 le problème persiste, le document est peut-être trop volumineux."
            ),
            Error::ToolFailed { tool, .. } => format!(
                "La conversion par {tool} a échoué. Vérifiez que le document s'ouvre \
                 normalement, puis réessayez."
            ),
            Error::Io { path, source } => format!(
                "Lecture ou écriture impossible de « {} » ({source}).",
                path.display()
            ),
        }
    }
}
