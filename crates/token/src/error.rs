//! The crate's one error type and its French messages.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong with a token. Each variant carries what a user needs to act; the
/// French sentence for a clerk is [`Error::message_fr`], the English `Display` is for logs.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No PKCS#11 module was given and none of the known paths exists.
    #[error("no PKCS#11 module found (searched {} paths)", searched.len())]
    ModuleNotFound {
        /// The paths that were tried, in order.
        searched: Vec<PathBuf>,
    },
    /// The module path given explicitly does not exist.
    #[error("PKCS#11 module {} does not exist", path.display())]
    ModuleMissing {
        /// The path given.
        path: PathBuf,
    },
    /// The file exists but is not a loadable PKCS#11 module (wrong file, wrong architecture...).
    #[error("{} is not a usable PKCS#11 module: {detail}", path.display())]
    NotAPkcs11Module {
        /// The path given.
        path: PathBuf,
        /// What the loader said.
        detail: String,
    },
    /// No slot has a token in it.
    #[error("no token is present")]
    NoToken,
    /// Several tokens are present and none was chosen.
    #[error("several tokens are present: {}", labels.join(", "))]
    SeveralTokens {
        /// Labels of the tokens present.
        labels: Vec<String>,
    },
    /// The chosen token is not present.
    #[error("token {wanted} not found")]
    TokenNotFound {
        /// The label or serial asked for.
        wanted: String,
    },
    /// The token was removed (or stopped answering) during the operation.
    #[error("the token was removed during the operation")]
    TokenRemoved,
    /// The PIN is wrong; the token's flags tell how many tries are left.
    #[error("wrong PIN (count low: {count_low}, final try: {final_try})")]
    WrongPin {
        /// The token reports that few tries are left.
        count_low: bool,
        /// The token reports that the next try is the last one.
        final_try: bool,
    },
    /// The PIN is locked: no further try is possible.
    #[error("the PIN is locked")]
    PinLocked,
    /// The token reports its final PIN try and the caller did not confirm spending it.
    #[error("final PIN try: confirmation required")]
    FinalTryNeedsConfirmation,
    /// The PIN is empty or its length is outside what the token accepts.
    #[error("PIN length invalid (token accepts {min} to {max})")]
    PinLengthInvalid {
        /// Minimum length accepted by the token.
        min: usize,
        /// Maximum length accepted by the token.
        max: usize,
    },
    /// No certificate matches the selection.
    #[error("no certificate matches {wanted}")]
    CertificateNotFound {
        /// The selection, as given.
        wanted: String,
    },
    /// Several certificates match the selection.
    #[error("several certificates match {wanted}: {}", serials.join(", "))]
    SeveralCertificates {
        /// The selection, as given.
        wanted: String,
        /// Serial numbers of the candidates.
        serials: Vec<String>,
    },
    /// The token holds no qualified signature certificate (keyUsage nonRepudiation).
    #[error("no signature certificate on the token")]
    NoSignatureCertificate,
    /// The token holds no authentication certificate.
    #[error("no authentication certificate on the token")]
    NoAuthenticationCertificate,
    /// A certificate has no private key with the same `CKA_ID` on the token.
    #[error("no private key on the token for certificate {serial}")]
    NoPrivateKey {
        /// Serial number of the certificate.
        serial: String,
    },
    /// The certificate has expired.
    #[error("certificate {serial} expired on {not_after}")]
    CertificateExpired {
        /// Serial number of the certificate.
        serial: String,
        /// End of validity.
        not_after: chrono::DateTime<chrono::Utc>,
    },
    /// The certificate is not valid yet.
    #[error("certificate {serial} is valid only from {not_before}")]
    CertificateNotYetValid {
        /// Serial number of the certificate.
        serial: String,
        /// Start of validity.
        not_before: chrono::DateTime<chrono::Utc>,
    },
    /// A certificate object on the token could not be parsed.
    #[error("unreadable certificate on the token: {detail}")]
    BadCertificate {
        /// What the parser said.
        detail: String,
    },
    /// The key type or requested algorithm is not supported (by us or by the token).
    #[error("unsupported key or algorithm: {detail}")]
    Unsupported {
        /// What is unsupported.
        detail: String,
    },
    /// The token's worker thread stopped (the module crashed or was unloaded).
    #[error("the token worker has stopped")]
    WorkerGone,
    /// Any other PKCS#11 failure, with the function and the return value.
    #[error("PKCS#11 error in {function}: {rv}")]
    Device {
        /// The PKCS#11 function that failed.
        function: String,
        /// The return value, as the module gave it.
        rv: String,
    },
}

impl Error {
    /// The sentence shown to a clerk: what happened and what to do, in French.
    pub fn message_fr(&self) -> String {
        match self {
            Error::ModuleNotFound { .. } => "Aucun pilote de clé (module PKCS#11) n'a été trouvé sur ce poste. Installez le logiciel fourni avec votre clé, ou indiquez le chemin du module dans les paramètres.".into(),
            Error::ModuleMissing { path } => format!("Le pilote de clé indiqué ({}) n'existe pas. Vérifiez le chemin du module PKCS#11 dans les paramètres.", path.display()),
            Error::NotAPkcs11Module { path, .. } => format!("Le fichier {} n'est pas un pilote de clé utilisable (module PKCS#11). Indiquez le module fourni avec votre clé.", path.display()),
            Error::NoToken => "Aucune clé n'est branchée. Branchez votre clé USB puis réessayez.".into(),
            Error::SeveralTokens { labels } => format!("Plusieurs clés sont branchées ({}). Choisissez celle à utiliser.", labels.join(", ")),
            Error::TokenNotFound { wanted } => format!("La clé « {wanted} » n'est pas branchée. Branchez-la ou choisissez une autre clé."),
            Error::TokenRemoved => "La clé a été retirée pendant l'opération. Rebranchez-la : l'opération pourra être reprise.".into(),
            Error::WrongPin { final_try: true, .. } => "Code PIN incorrect. Attention : il ne reste qu'un seul essai avant le blocage de la clé.".into(),
            Error::WrongPin { count_low: true, .. } => "Code PIN incorrect. Attention : il reste peu d'essais avant le blocage de la clé.".into(),
            Error::WrongPin { .. } => "Code PIN incorrect. Vérifiez-le et réessayez.".into(),
            Error::PinLocked => "Le code PIN de la clé est bloqué. Contactez le fournisseur de votre certificat pour la débloquer.".into(),
            Error::FinalTryNeedsConfirmation => "Il ne reste qu'un seul essai de code PIN : une erreur bloquerait la clé. Confirmez pour essayer ce code.".into(),
            Error::PinLengthInvalid { min, max } => format!("Le code PIN doit comporter entre {min} et {max} caractères."),
            Error::CertificateNotFound { wanted } => format!("Aucun certificat ne correspond à « {wanted} » sur la clé. Rechargez les certificats ou choisissez-en un autre."),
            Error::SeveralCertificates { .. } => "Plusieurs certificats conviennent. Choisissez celui à utiliser.".into(),
            Error::NoSignatureCertificate => "La clé ne contient pas de certificat de signature qualifiée. Vérifiez que vous avez branché la bonne clé.".into(),
            Error::NoAuthenticationCertificate => "La clé ne contient pas de certificat d'authentification. Vérifiez que vous avez branché la bonne clé.".into(),
            Error::NoPrivateKey { serial } => format!("La clé privée du certificat n° {serial} est introuvable sur la clé. Contactez le fournisseur de votre certificat."),
            Error::CertificateExpired { not_after, .. } => format!("Le certificat a expiré le {}. Renouvelez-le auprès de votre fournisseur.", paris(not_after)),
            Error::CertificateNotYetValid { not_before, .. } => format!("Le certificat ne sera valable qu'à partir du {}.", paris(not_before)),
            Error::BadCertificate { .. } => "Un certificat de la clé est illisible. Contactez le fournisseur de votre certificat.".into(),
            Error::Unsupported { .. } => "Le type de clé ou l'algorithme de signature n'est pas pris en charge par cette clé.".into(),
            Error::WorkerGone => "La communication avec la clé s'est interrompue. Débranchez puis rebranchez la clé et relancez l'opération.".into(),
            Error::Device { .. } => "La clé a signalé une erreur. Débranchez-la, rebranchez-la et réessayez ; si l'erreur persiste, contactez le support.".into(),
        }
    }

    /// One error of every variant, for the workspace's error-vocabulary test (each code once,
    /// prefixed once, a French message that names no command-line tool). Add the example of a
    /// new variant beside its arm in [`Error::code`].
    #[doc(hidden)]
    pub fn examples() -> Vec<Error> {
        let t = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        vec![
            Error::ModuleNotFound { searched: vec![] },
            Error::ModuleMissing {
                path: "/x.so".into(),
            },
            Error::NotAPkcs11Module {
                path: "/x.so".into(),
                detail: "no C_GetFunctionList".into(),
            },
            Error::NoToken,
            Error::SeveralTokens {
                labels: vec!["A".into(), "B".into()],
            },
            Error::TokenNotFound { wanted: "A".into() },
            Error::TokenRemoved,
            Error::WrongPin {
                count_low: false,
                final_try: false,
            },
            Error::PinLocked,
            Error::FinalTryNeedsConfirmation,
            Error::PinLengthInvalid { min: 4, max: 8 },
            Error::CertificateNotFound { wanted: "1".into() },
            Error::SeveralCertificates {
                wanted: "1".into(),
                serials: vec!["1".into(), "2".into()],
            },
            Error::NoSignatureCertificate,
            Error::NoAuthenticationCertificate,
            Error::NoPrivateKey { serial: "1".into() },
            Error::CertificateExpired {
                serial: "1".into(),
                not_after: t,
            },
            Error::CertificateNotYetValid {
                serial: "1".into(),
                not_before: t,
            },
            Error::BadCertificate {
                detail: "der".into(),
            },
            Error::Unsupported {
                detail: "ed448".into(),
            },
            Error::WorkerGone,
            Error::Device {
                function: "C_Sign".into(),
                rv: "CKR_DEVICE_ERROR".into(),
            },
        ]
    }

    /// A stable code the user interface and scripts can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::ModuleNotFound { .. } => "token.module_not_found",
            Error::ModuleMissing { .. } => "token.module_missing",
            Error::NotAPkcs11Module { .. } => "token.not_a_module",
            Error::NoToken => "token.none",
            Error::SeveralTokens { .. } => "token.several",
            Error::TokenNotFound { .. } => "token.not_found",
            Error::TokenRemoved => "token.removed",
            Error::WrongPin { .. } => "token.wrong_pin",
            Error::PinLocked => "token.pin_locked",
            Error::FinalTryNeedsConfirmation => "token.final_try",
            Error::PinLengthInvalid { .. } => "token.pin_length",
            Error::CertificateNotFound { .. } => "token.cert_not_found",
            Error::SeveralCertificates { .. } => "token.several_certs",
            Error::NoSignatureCertificate => "token.no_signature_cert",
            Error::NoAuthenticationCertificate => "token.no_auth_cert",
            Error::NoPrivateKey { .. } => "token.no_private_key",
            Error::CertificateExpired { .. } => "token.cert_expired",
            Error::CertificateNotYetValid { .. } => "token.cert_not_yet_valid",
            Error::BadCertificate { .. } => "token.bad_cert",
            Error::Unsupported { .. } => "token.unsupported",
            Error::WorkerGone => "token.worker_gone",
            Error::Device { .. } => "token.device",
        }
    }
}

/// A date as a clerk reads it, in Europe/Paris.
fn paris(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y")
        .to_string()
}

impl From<cryptoki::error::Error> for Error {
    fn from(e: cryptoki::error::Error) -> Self {
        use cryptoki::error::{Error as CkError, RvError};
        match e {
            CkError::Pkcs11(rv, function) => match rv {
                RvError::PinLocked => Error::PinLocked,
                RvError::DeviceRemoved
                | RvError::TokenNotPresent
                | RvError::SessionHandleInvalid
                | RvError::SessionClosed
                | RvError::TokenNotRecognized => Error::TokenRemoved,
                other => Error::Device {
                    function: format!("{function:?}"),
                    rv: format!("{other:?}"),
                },
            },
            CkError::LibraryLoading(err) => Error::NotAPkcs11Module {
                path: PathBuf::new(),
                detail: err.to_string(),
            },
            other => Error::Device {
                function: "cryptoki".into(),
                rv: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cryptoki::context::Function;
    use cryptoki::error::{Error as CkError, RvError};

    #[test]
    fn pkcs11_return_values_map_to_what_a_clerk_can_act_on() {
        let locked: Error = CkError::Pkcs11(RvError::PinLocked, Function::Login).into();
        assert!(matches!(locked, Error::PinLocked));
        let removed: Error = CkError::Pkcs11(RvError::DeviceRemoved, Function::Sign).into();
        assert!(matches!(removed, Error::TokenRemoved));
        assert!(removed.message_fr().contains("retirée"));
        let other: Error = CkError::Pkcs11(RvError::GeneralError, Function::Sign).into();
        assert_eq!(other.code(), "token.device");
    }

    #[test]
    fn wrong_pin_message_warns_about_the_last_try() {
        let e = Error::WrongPin {
            count_low: true,
            final_try: true,
        };
        assert!(e.message_fr().contains("un seul essai"));
    }
}
