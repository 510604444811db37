//! The application's one error type: every lower error kept with its own code and French
//! message, plus the application's own refusals.

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a use case can fail with. [`Error::message_fr`] is what the clerk reads;
/// [`Error::code`] is what the window and scripts branch on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key (module, token, PIN).
    #[error("token: {0}")]
    Token(#[from] sceau_token::Error),
    /// The vault or the way to it.
    #[error("vault: {0}")]
    Client(#[from] sceau_client::Error),
    /// The local store.
    #[error("store: {0}")]
    Store(#[from] sceau_store::Error),
    /// A document could not become PDF/A-1b.
    #[error("conversion of {file}: {source}")]
    Conversion {
        /// The document's name.
        file: String,
        /// Why.
        source: sceau_pdfa::Error,
    },
    /// A signature could not be made.
    #[error("signature: {0}")]
    Signature(sceau_cades::Error),
    /// The user's input is refused (reference, recipient, nature, file...).
    #[error("invalid input ({code})")]
    Input {
        /// Stable code, `app.<what>`.
        code: &'static str,
        /// French message.
        message: String,
    },
    /// An act does not mention the recipient's consent (CPC 662-1, 748-1).
    #[error("no consent mention in {file}")]
    ConsentMention {
        /// The document.
        file: String,
    },
    /// The office has never connected to the vault from this workstation.
    #[error("never connected")]
    NeverConnected,
    /// No vault is configured.
    #[error("no vault configured")]
    NoVault,
    /// The user declined the first-connection binding.
    #[error("binding declined")]
    BindingDeclined,
    /// Something was not found locally.
    #[error("not found: {what}")]
    NotFound {
        /// What, in French.
        what: String,
    },
    /// A local file operation failed.
    #[error("file {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Another process (window or command) has this data directory open.
    #[error("data directory {} already open by another process", data_dir.display())]
    AlreadyOpen {
        /// The data directory.
        data_dir: std::path::PathBuf,
    },
    /// An EDI batch has bad lines: nothing was signed.
    #[error("EDI batch refused ({} line(s))", lines.len())]
    EdiInvalid {
        /// Every refused line, in order.
        lines: Vec<crate::edi::EdiLineError>,
    },
    /// A file of a transfer into the office's vault was refused; those before it went.
    #[error("transfer of {file}: {source}")]
    Upload {
        /// The local file's name.
        file: String,
        /// Vault paths of the files already transferred.
        done: Vec<String>,
        /// Why (its code is the error's code).
        source: Box<Error>,
    },
    /// A configuration file could not be read.
    #[error("configuration file {}: {source}", path.display())]
    ConfigUnreadable {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A configuration file is not valid (TOML syntax, unknown field, wrong type).
    #[error("configuration file {}: {detail}", path.display())]
    ConfigInvalid {
        /// The file.
        path: std::path::PathBuf,
        /// The parser's explanation.
        detail: String,
    },
    /// A rule of the domain refuses the input (a service draft, an identifier...).
    #[error("{0}")]
    Core(#[from] sceau_core::CoreError),
    /// An internal failure (a worker thread died...).
    #[error("internal: {0}")]
    Internal(String),
    /// A new recipient is refused by its rule: every problem, nothing sent to the vault.
    #[error("new recipient refused ({} problem(s))", problems.len())]
    RecipientInvalid {
        /// Every problem, in the order of the form (each with its `recipient.*` code and field).
        problems: Vec<sceau_core::recipient::RecipientProblem>,
    },
    /// The vault has this recipient already (same SIRET, NIR, or e-mail and birth date):
    /// nothing was created; the existing cards are to be used instead.
    #[error("recipient already in the vault ({} card(s))", existing.len())]
    RecipientDuplicate {
        /// The existing recipients (also put in the local cache).
        existing: Vec<crate::RecipientView>,
    },
    /// The vault refused the deposit for good (the consent revoked meanwhile, a signature it
    /// does not accept...): the act is not served; its package stays in the outbox, failed.
    #[error("deposit refused by the vault ({vault_code})")]
    DepositRefused {
        /// The vault's code (`vault.<what>`).
        vault_code: String,
        /// The vault's reason, in French.
        reason: String,
    },
}

impl Error {
    /// One error of each of the application's own variants (the lower crates' errors pass through with their own codes and have their own examples), for the workspace's error-vocabulary test (each code once,
    /// prefixed once, a French message that names no command-line tool). Add the example of a
    /// new variant beside its arm in [`Error::code`].
    #[doc(hidden)]
    pub fn examples() -> Vec<Error> {
        let path = std::path::PathBuf::from("/poste/acte.pdf");
        vec![
            Error::Input {
                code: "app.invalid_reference",
                message: "La référence est vide. Saisissez-la.".into(),
            },
            Error::ConsentMention {
                file: "acte.pdf".into(),
            },
            Error::NeverConnected,
            Error::NoVault,
            Error::BindingDeclined,
            Error::NotFound {
                what: "Signification REF-1".into(),
            },
            Error::Io {
                path: path.clone(),
                source: std::io::Error::other("disk"),
            },
            Error::AlreadyOpen {
                data_dir: "/poste".into(),
            },
            Error::EdiInvalid { lines: vec![] },
            Error::ConfigUnreadable {
                path: path.clone(),
                source: std::io::Error::other("denied"),
            },
            Error::ConfigInvalid {
                path,
                detail: "unknown field `vault_ulr`".into(),
            },
            Error::Internal("worker".into()),
            Error::RecipientInvalid {
                problems: vec![sceau_core::recipient::RecipientProblem::Email],
            },
            Error::RecipientDuplicate { existing: vec![] },
            Error::DepositRefused {
                vault_code: "vault.no_consent".into(),
                reason: "Le destinataire a révoqué son consentement.".into(),
            },
        ]
    }

    /// Stable code: the lower crate's code for its errors, `app.*` for ours.
    pub fn code(&self) -> String {
        match self {
            Error::Token(e) => e.code().into(),
            Error::Client(e) => e.code().into_owned(),
            Error::Store(e) => e.code().into(),
            // The PDF/A crate's codes are full codes already (`pdfa.corrupt`): passed through.
            Error::Conversion { source, .. } => source.code().into(),
            Error::Signature(e) => match token_inside(e) {
                Some(t) => t.code().into(),
                None => e.code().into(),
            },
            Error::Input { code, .. } => (*code).into(),
            Error::ConsentMention { .. } => "app.consent_mention".into(),
            Error::NeverConnected => "app.never_connected".into(),
            Error::NoVault => "app.no_vault".into(),
            Error::BindingDeclined => "app.binding_declined".into(),
            Error::NotFound { .. } => "app.not_found".into(),
            Error::Io { .. } => "app.io".into(),
            Error::EdiInvalid { .. } => "app.edi_invalid".into(),
            Error::AlreadyOpen { .. } => "app.already_open".into(),
            Error::Upload { source, .. } => source.code(),
            Error::ConfigUnreadable { .. } => "app.config_unreadable".into(),
            Error::ConfigInvalid { .. } => "app.config_invalid".into(),
            Error::Core(e) => e.code().into(),
            Error::Internal(_) => "app.internal".into(),
            Error::RecipientInvalid { .. } => "app.recipient_invalid".into(),
            Error::RecipientDuplicate { .. } => "app.recipient_duplicate".into(),
            Error::DepositRefused { .. } => "app.deposit_refused".into(),
        }
    }

    /// What happened and what to do, in French.
    pub fn message_fr(&self) -> String {
        match self {
            Error::Token(e) => e.message_fr(),
            Error::Client(e) => e.message_fr(),
            Error::Store(e) => e.message_fr(),
            Error::Conversion { file, source } => {
                format!("Le document « {file} » n'a pas pu être converti en PDF/A : {}", source.message_fr())
            }
            Error::Signature(e) => match token_inside(e) {
                Some(t) => t.message_fr(),
                None => format!("La signature a échoué : {}", e.message_fr()),
            },
            Error::Input { message, .. } => message.clone(),
            Error::ConsentMention { file } => format!(
                "L'acte « {file} » ne mentionne pas le consentement du destinataire à la signification électronique (articles 662-1 et 748-1 du code de procédure civile). Ajoutez la mention : « {} »",
                sceau_core::consent::CONSENT_MENTION_FR
            ),
            Error::NeverConnected => "Ce poste ne s'est encore jamais connecté au coffre-fort : connectez-vous d'abord une fois, avec la clé branchée et le réseau disponible.".into(),
            Error::NoVault => "Aucun coffre-fort n'est configuré : indiquez son adresse (vault_url) et son certificat (vault_ca) dans la configuration.".into(),
            Error::BindingDeclined => "Première connexion annulée : le certificat n'a pas été associé à l'espace de l'étude.".into(),
            Error::NotFound { what } => format!("{what} introuvable."),
            Error::Io { path, source } => format!(
                "Le fichier {} n'a pas pu être lu ou écrit ({source}). Vérifiez le chemin, les droits et l'espace disque.",
                path.display()
            ),
            Error::AlreadyOpen { data_dir } => format!(
                "Sceau est déjà ouvert sur ce poste (dossier {}) : une autre fenêtre ou commande l'utilise. Fermez-la ou attendez qu'elle se termine, puis recommencez.",
                data_dir.display()
            ),
            Error::EdiInvalid { lines } => {
                let mut s = format!(
                    "Lot EDI refusé : {} ligne(s) en erreur, aucun acte n'a été signé. Corrigez le fichier d'échange puis relancez l'import.",
                    lines.len()
                );
                for l in lines {
                    s.push('\n');
                    s.push_str(&l.message);
                }
                s
            }
            Error::Upload { file, done, source } => {
                let mut s = format!("Le fichier « {file} » n'a pas été transféré : {}", source.message_fr());
                if !done.is_empty() {
                    s.push_str(&format!(
                        " Déjà transféré(s) avant lui, à ne pas renvoyer : {}.",
                        done.join(", ")
                    ));
                }
                s
            }
            Error::ConfigUnreadable { path, source } => format!(
                "Le fichier de configuration {} est illisible ({source}). Vérifiez ses droits.",
                path.display()
            ),
            Error::ConfigInvalid { path, detail } => format!(
                "Le fichier de configuration {} est incorrect : {detail}. Corrigez-le ou supprimez-le.",
                path.display()
            ),
            Error::Core(e) => e.message_fr(),
            Error::Internal(_) => "Erreur interne de l'application. Réessayez ; si elle persiste, contactez le support.".into(),
            Error::RecipientInvalid { problems } => {
                let mut s = String::from("Destinataire non enregistré :");
                for p in problems {
                    s.push(' ');
                    s.push_str(&p.message_fr());
                }
                s
            }
            Error::DepositRefused { reason, .. } => format!(
                "Le coffre-fort a refusé le dépôt : {reason} L'acte n'est pas signifié ; son \
                 paquet reste dans la file d'envoi, marqué en échec."
            ),
            Error::RecipientDuplicate { existing } => format!(
                "Ce destinataire existe déjà dans le coffre-fort : {}. Utilisez sa fiche existante \
                 (recherchez-le par son nom ou son identifiant) ; rien n'a été enregistré.",
                existing
                    .iter()
                    .map(crate::recipients::label)
                    .collect::<Vec<_>>()
                    .join(" ; ")
            ),
        }
    }

    /// Whether this is the vault being out of reach (the outbox keeps the package).
    pub fn is_offline(&self) -> bool {
        match self {
            Error::Upload { source, .. } => source.is_offline(),
            Error::Client(c) => c.is_out_of_reach(),
            _ => false,
        }
    }

    /// The token's error, if this is one (also inside a TLS or signature failure).
    pub fn token_error(&self) -> Option<&sceau_token::Error> {
        match self {
            Error::Token(e) => Some(e),
            Error::Client(sceau_client::Error::Token(e)) => Some(e),
            Error::Signature(e) => token_inside(e),
            Error::Upload { source, .. } => source.token_error(),
            _ => None,
        }
    }
}

fn token_inside(e: &sceau_cades::Error) -> Option<&sceau_token::Error> {
    if let sceau_cades::Error::Signing(inner) = e {
        std::error::Error::source(inner).and_then(|s| s.downcast_ref::<sceau_token::Error>())
    } else {
        None
    }
}

/// A refused input with its stable code (`app.<what>`) and French message.
pub(crate) fn input(code: &'static str, message: String) -> Error {
    Error::Input { code, message }
}

/// `Error::Io` for `path`.
pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conversion_error_keeps_the_pdfa_code_prefixed_once() {
        // The app used to prefix `pdfa.` again: `pdfa.pdfa.corrupt`.
        let e = Error::Conversion {
            file: "acte.pdf".into(),
            source: sceau_pdfa::Error::Corrupt {
                detail: "xref".into(),
            },
        };
        assert_eq!(e.code(), "pdfa.corrupt");
        let e = Error::Conversion {
            file: "acte.pdf".into(),
            source: sceau_pdfa::Error::AlreadySigned,
        };
        assert_eq!(e.code(), "pdfa.already_signed");
    }
}
