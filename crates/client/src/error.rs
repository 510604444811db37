//! The crate's one error type and its French messages.

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to the vault. The French sentence for a clerk is
/// [`Error::message_fr`]; the English `Display` is for logs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token refused or failed to sign the TLS handshake (wrong PIN, removed, locked...):
    /// the token's own error, so the user sees the PIN message, not a TLS failure.
    #[error("token: {0}")]
    Token(#[from] sceau_token::Error),
    /// The vault's CA certificate given in the configuration is not a usable certificate.
    #[error("the configured vault CA certificate is invalid: {detail}")]
    BadVaultCa {
        /// What was wrong.
        detail: String,
    },
    /// The server's certificate was not issued by the pinned vault CA (or is invalid for this
    /// host): we may be talking to someone else.
    #[error("the server's certificate is not trusted: {detail}")]
    ServerNotTrusted {
        /// What rustls said.
        detail: String,
    },
    /// The vault refused our client certificate.
    #[error("the vault refused the client certificate: {detail}")]
    ClientCertificateRefused {
        /// What the TLS layer said.
        detail: String,
    },
    /// The vault could not be reached (network down, wrong address, server stopped).
    #[error("the vault is unreachable: {detail}")]
    Unreachable {
        /// What the connection said.
        detail: String,
    },
    /// The vault stopped answering: a call, an upload or a download made no progress within its
    /// time limit (a stalled network, a vault that hangs). Nothing half-done is kept.
    #[error("the vault did not answer in time: {detail}")]
    Timeout {
        /// What timed out.
        detail: String,
    },
    /// The vault answered with an error status.
    #[error("the vault answered HTTP {status}")]
    Status {
        /// The HTTP status code.
        status: u16,
    },
    /// TLS configuration could not be built (unsupported key or protocol).
    #[error("TLS configuration: {detail}")]
    Config {
        /// What was wrong.
        detail: String,
    },
    /// The vault answered with its `{code, message}` error body.
    #[error("the vault refused ({status} {code})")]
    Vault {
        /// The HTTP status code.
        status: u16,
        /// The vault's stable code.
        code: String,
        /// The vault's French message.
        message: String,
    },
    /// The certificate is valid but no office space is bound to it yet (first connection).
    #[error("the certificate is not bound to an office yet")]
    NotBound {
        /// The vault's French message.
        message: String,
    },
    /// A local file could not be read or written.
    #[error("file: {detail}")]
    Io {
        /// What happened.
        detail: String,
    },
    /// Any other HTTP failure.
    #[error("HTTP: {detail}")]
    Http {
        /// What happened.
        detail: String,
    },
}

impl Error {
    /// The sentence shown to a clerk: what happened and what to do, in French.
    pub fn message_fr(&self) -> String {
        match self {
            Error::Token(e) => e.message_fr(),
            Error::BadVaultCa { .. } => "Le certificat de l'autorité du coffre-fort indiqué dans la configuration est invalide. Contactez le support.".into(),
            Error::ServerNotTrusted { .. } => "Le serveur contacté n'a pas présenté un certificat du coffre-fort : la connexion a été refusée pour votre sécurité. Vérifiez l'adresse du coffre-fort ou contactez le support.".into(),
            Error::ClientCertificateRefused { .. } => "Le coffre-fort a refusé le certificat d'authentification de votre clé. Vérifiez que vous avez choisi le bon certificat et qu'il est en cours de validité.".into(),
            Error::Unreachable { .. } => "Le coffre-fort est injoignable. Vérifiez la connexion réseau ; les actes préparés restent dans la file d'envoi.".into(),
            Error::Timeout { .. } => "Le coffre-fort ne répond plus (délai dépassé). Vérifiez la connexion réseau et réessayez ; les actes préparés restent dans la file d'envoi et ne seront pas déposés deux fois.".into(),
            Error::Status { status } => format!("Le coffre-fort a répondu par une erreur (code {status}). Réessayez plus tard ou contactez le support."),
            Error::Vault { message, .. } => message.clone(),
            Error::NotBound { .. } => "Ce certificat n'est pas encore associé à l'espace de votre étude dans le coffre-fort. Faites la première connexion pour l'associer.".into(),
            Error::Io { detail } => format!("Un fichier local n'a pas pu être lu ou écrit ({detail}). Vérifiez l'espace disque et les droits."),
            Error::Config { .. } => "La connexion sécurisée au coffre-fort n'a pas pu être préparée avec cette clé. Contactez le support.".into(),
            Error::Http { .. } => "La communication avec le coffre-fort a échoué. Réessayez ; si l'erreur persiste, contactez le support.".into(),
        }
    }

    /// The vault's own code for a refusal (`Vault`), if that is what this is.
    pub fn vault_code(&self) -> Option<&str> {
        match self {
            Error::Vault { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether the vault is out of reach (no connection, or no answer in time): the workstation
    /// works from what it has cached.
    pub fn is_out_of_reach(&self) -> bool {
        matches!(self, Error::Unreachable { .. } | Error::Timeout { .. })
    }

    /// Whether trying again later may succeed (network, server down): the outbox keeps the
    /// package; anything else needs the user.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Unreachable { .. }
            | Error::Timeout { .. }
            | Error::Http { .. }
            | Error::Io { .. } => true,
            Error::Status { status } => *status >= 500,
            Error::Vault { status, code, .. } => {
                *status >= 500 || code == "closed" || code == "internal"
            }
            _ => false,
        }
    }

    /// One error of every variant, for the workspace's error-vocabulary test (each code once,
    /// prefixed once, a French message that names no command-line tool). Add the example of a
    /// new variant beside its arm in [`Error::code`].
    #[doc(hidden)]
    pub fn examples() -> Vec<Error> {
        vec![
            Error::Token(sceau_token::Error::NoToken),
            Error::BadVaultCa {
                detail: "pem".into(),
            },
            Error::ServerNotTrusted {
                detail: "unknown issuer".into(),
            },
            Error::ClientCertificateRefused {
                detail: "bad certificate".into(),
            },
            Error::Unreachable {
                detail: "refused".into(),
            },
            Error::Timeout {
                detail: "deposit".into(),
            },
            Error::Status { status: 502 },
            Error::Config {
                detail: "key".into(),
            },
            Error::Vault {
                status: 409,
                code: "closed".into(),
                message: "Le destinataire ne reçoit pas maintenant.".into(),
            },
            Error::NotBound {
                message: "Certificat non associé.".into(),
            },
            Error::Io {
                detail: "disk".into(),
            },
            Error::Http {
                detail: "reset".into(),
            },
        ]
    }

    /// A stable code the user interface and scripts can branch on, full: token errors keep
    /// the token's code, a vault refusal is `vault.<the vault's code>`, the others `client.*`.
    pub fn code(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Error::Token(e) => e.code().into(),
            Error::Vault { code, .. } => format!("vault.{code}").into(),
            Error::BadVaultCa { .. } => "client.bad_vault_ca".into(),
            Error::ServerNotTrusted { .. } => "client.server_not_trusted".into(),
            Error::ClientCertificateRefused { .. } => "client.client_cert_refused".into(),
            Error::Unreachable { .. } => "client.unreachable".into(),
            Error::Timeout { .. } => "client.timeout".into(),
            Error::Status { .. } => "client.status".into(),
            Error::NotBound { .. } => "client.not_bound".into(),
            Error::Io { .. } => "client.io".into(),
            Error::Config { .. } => "client.config".into(),
            Error::Http { .. } => "client.http".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_keep_their_code_and_message() {
        let e = Error::Token(sceau_token::Error::WrongPin {
            count_low: false,
            final_try: true,
        });
        assert_eq!(e.code(), "token.wrong_pin");
        assert!(e.message_fr().contains("un seul essai"));
    }

    #[test]
    fn own_codes_are_namespaced() {
        for e in [
            Error::ServerNotTrusted { detail: "x".into() },
            Error::ClientCertificateRefused { detail: "x".into() },
            Error::Unreachable { detail: "x".into() },
            Error::Status { status: 503 },
        ] {
            assert!(e.code().starts_with("client."));
            assert!(e.message_fr().contains("coffre-fort"));
        }
    }
}
