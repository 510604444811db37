//! The vault's one error type: a stable `code()`, a French `message_fr()`, an HTTP status, and
//! an `IntoResponse` that sends the client only `{code, message}` and logs the detail.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sceau_proto::ErrorBody;

/// Everything that can go wrong in the vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection presented no client certificate.
    #[error("no client certificate")]
    CertificateMissing,
    /// The client certificate does not chain to a configured CA.
    #[error("client certificate not trusted: {0}")]
    CertificateUntrusted(String),
    /// The client certificate is outside its validity period.
    #[error("client certificate expired or not yet valid")]
    CertificateExpired,
    /// The client certificate's serial is listed as revoked in the configuration.
    #[error("client certificate revoked")]
    CertificateRevoked,
    /// The client certificate is valid but bound to no office.
    #[error("client certificate not bound to an office")]
    CertificateNotBound,
    /// The bind request confirms another certificate than the connection's.
    #[error("bind confirmation does not match the connection's certificate")]
    BindMismatch,
    /// The certificate's holder differs from the holder already bound to that office.
    #[error("certificate holder differs from the office's holder")]
    BindOtherHolder,
    /// Malformed request.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// An identifier (SIRET, SIREN, NIR) is invalid (the French message of sceau-core).
    #[error("invalid identifier: {0}")]
    InvalidIdentifier(String),
    /// Nothing there, or nothing this office may see (never tell which).
    #[error("not found")]
    NotFound,
    /// Unknown nature of act.
    #[error("unknown nature {0}")]
    UnknownNature(String),
    /// Unknown recipient.
    #[error("unknown recipient")]
    UnknownRecipient,
    /// No consent in force for this recipient and nature.
    #[error("no consent in force")]
    NoConsent,
    /// Outside legal hours or the recipient's reception hours.
    #[error("closed: {reason}")]
    Closed {
        /// Stable reason code.
        reason: String,
        /// French explanation (with the next opening).
        message_fr: String,
    },
    /// A signature does not verify.
    #[error("invalid signature on {file}: {detail}")]
    BadSignature {
        /// The act concerned.
        file: String,
        /// What failed (not shown to the client beyond the file name).
        detail: String,
    },
    /// A signature was made by another holder, or not with a signature certificate.
    #[error("signature on {file} not made by the holder's signature certificate")]
    SignerMismatch {
        /// The act concerned.
        file: String,
    },
    /// An act is not PDF/A-1b.
    #[error("{file} is not PDF/A-1b")]
    NotPdfA {
        /// The act concerned.
        file: String,
    },
    /// The package or a document is too large.
    #[error("too large: {0}")]
    TooLarge(String),
    /// The upload's digest differs from the announced one.
    #[error("content digest mismatch")]
    DigestMismatch,
    /// The idempotency key was already used for another content.
    #[error("idempotency key reused with other content")]
    IdempotencyConflict,
    /// The package is malformed.
    #[error("malformed package: {0}")]
    BadPackage(String),
    /// Deleting a file still within its retention period.
    #[error("retention period not over")]
    Retained,
    /// The target path exists already.
    #[error("path exists")]
    PathExists,
    /// Storage failure (database, files, S3).
    #[error("storage: {0}")]
    Storage(String),
    /// Cryptographic failure inside the vault (sealing, time-stamping).
    #[error("crypto: {0}")]
    Crypto(String),
    /// Configuration problem.
    #[error("configuration: {0}")]
    Config(String),
    /// The certificate's subject does not name a holder (a common name and an organization
    /// or a surname are required to tell holders apart).
    #[error("certificate subject names no holder")]
    HolderUnidentified,
    /// The XML data message does not have the structure of `resources/schemas/message_acte.xsd`.
    #[error("data message invalid: {0}")]
    DataMessageInvalid(String),
    /// The data message's documents (names, sizes, SHA-256) differ from the package's acts.
    #[error("data message does not match the package: {0}")]
    DataMessageMismatch(String),
    /// Another process (a running server, a `gc`) holds the data directory's lock.
    #[error("data directory {0} is locked by another process")]
    DataDirBusy(std::path::PathBuf),
    /// The office number was never declared by the vault's operator.
    #[error("office {0} not declared")]
    OfficeNotDeclared(String),
    /// The certificate is not issued by the CA declared for the office.
    #[error("certificate not issued by the office's declared CA")]
    BindIssuerMismatch,
    /// A bank's certificate tried to bind an office.
    #[error("a bank certificate cannot bind an office")]
    BankCannotBind,
    /// A return holds active content (JavaScript, launch actions, embedded files...).
    #[error("active content in a return: {0}")]
    ActiveContent(String),
    /// A PDF inflates beyond the vault's bound (a decompression bomb), or cannot be read.
    #[error("PDF refused: {0}")]
    PdfRefused(String),
    /// Too many PDF checks are running; the caller may retry.
    #[error("PDF checks saturated")]
    Busy,
    /// The configuration names no office CA (`client_ca_files` is empty).
    #[error("no office CA configured")]
    NoOfficeCa,
    /// An act was signed with a certificate its CA has revoked (`crl_files`).
    #[error("signing certificate of {file} revoked")]
    SignerRevoked {
        /// The act concerned.
        file: String,
    },
}

impl Error {
    /// Stable machine code sent to clients.
    pub fn code(&self) -> &'static str {
        match self {
            Error::CertificateMissing => "certificate_missing",
            Error::CertificateUntrusted(_) => "certificate_untrusted",
            Error::CertificateExpired => "certificate_expired",
            Error::CertificateRevoked => "certificate_revoked",
            Error::SignerRevoked { .. } => "signing_certificate_revoked",
            Error::CertificateNotBound => "certificate_not_bound",
            Error::BindMismatch => "bind_mismatch",
            Error::BindOtherHolder => "bind_other_holder",
            Error::BadRequest(_) => "bad_request",
            Error::InvalidIdentifier(_) => "invalid_identifier",
            Error::NotFound => "not_found",
            Error::UnknownNature(_) => "unknown_nature",
            Error::UnknownRecipient => "unknown_recipient",
            Error::NoConsent => "no_consent",
            Error::Closed { .. } => "closed",
            Error::BadSignature { .. } => "bad_signature",
            Error::SignerMismatch { .. } => "signer_mismatch",
            Error::NotPdfA { .. } => "not_pdfa",
            Error::TooLarge(_) => "too_large",
            Error::DigestMismatch => "digest_mismatch",
            Error::IdempotencyConflict => "idempotency_conflict",
            Error::BadPackage(_) => "bad_package",
            Error::Retained => "retained",
            Error::PathExists => "path_exists",
            Error::Storage(_) | Error::Crypto(_) | Error::Config(_) => "internal",
            Error::HolderUnidentified => "holder_unidentified",
            Error::DataMessageInvalid(_) => "data_message_invalid",
            Error::DataMessageMismatch(_) => "data_message_mismatch",
            Error::DataDirBusy(_) => "data_dir_busy",
            Error::OfficeNotDeclared(_) => "office_not_declared",
            Error::BindIssuerMismatch => "bind_issuer_mismatch",
            Error::BankCannotBind => "bank_cannot_bind",
            Error::ActiveContent(_) => "return_active_content",
            Error::PdfRefused(_) => "return_pdf_refused",
            Error::Busy => "busy",
            Error::NoOfficeCa => "no_office_ca",
        }
    }

    /// What happened and what to do, in French; only what the client may see.
    pub fn message_fr(&self) -> String {
        match self {
            Error::CertificateMissing => {
                "Aucun certificat client n'a été présenté : branchez votre clé et choisissez \
                 votre certificat d'authentification."
                    .into()
            }
            Error::CertificateUntrusted(_) => {
                "Votre certificat n'est pas émis par une autorité reconnue par le coffre.".into()
            }
            Error::CertificateExpired => {
                "Votre certificat n'est pas (ou plus) valide à cette date : renouvelez-le.".into()
            }
            Error::CertificateRevoked => "Votre certificat a été révoqué.".into(),
            Error::SignerRevoked { file } => format!(
                "L'acte {file} est signé avec un certificat de signature révoqué par son \
                 autorité : signez-le de nouveau avec la clé en cours de validité de l'étude \
                 (renouvelez-la auprès de l'autorité si besoin)."
            ),
            Error::CertificateNotBound => {
                "Vous ne possédez pas à ce jour d'espace d'archivage dans le coffre : déclarez \
                 votre certificat (première connexion)."
                    .into()
            }
            Error::BindMismatch => {
                "Les informations confirmées ne correspondent pas au certificat utilisé.".into()
            }
            Error::BindOtherHolder => {
                "Ce certificat n'appartient pas au détenteur déjà rattaché à cet espace.".into()
            }
            Error::BadRequest(d) => format!("Requête invalide : {d}."),
            Error::InvalidIdentifier(d) => d.clone(),
            Error::NotFound => "Élément introuvable.".into(),
            Error::UnknownNature(c) => format!("Nature d'acte inconnue : {c}."),
            Error::UnknownRecipient => "Destinataire inconnu.".into(),
            Error::NoConsent => {
                "Le destinataire n'a pas consenti à la signification électronique pour cette \
                 nature d'acte (registre des consentements)."
                    .into()
            }
            Error::Closed { message_fr, .. } => message_fr.clone(),
            Error::BadSignature { file, .. } => {
                format!("La signature de l'acte {file} n'est pas valide.")
            }
            Error::SignerMismatch { file } => format!(
                "L'acte {file} n'est pas signé par le certificat de signature du détenteur \
                 du certificat d'authentification."
            ),
            Error::NotPdfA { file } => format!("L'acte {file} n'est pas au format PDF/A-1b."),
            Error::TooLarge(d) => format!("Envoi trop volumineux : {d}."),
            Error::DigestMismatch => {
                "L'empreinte du paquet reçu ne correspond pas à celle annoncée : renvoyez-le."
                    .into()
            }
            Error::IdempotencyConflict => {
                "Cette clé d'idempotence a déjà servi pour un autre dépôt.".into()
            }
            Error::BadPackage(d) => format!("Paquet de dépôt invalide : {d}."),
            Error::Retained => {
                "Suppression impossible : la durée de conservation de cette signification \
                 n'est pas écoulée."
                    .into()
            }
            Error::PathExists => {
                "Un élément portant ce nom existe déjà à cet endroit : renommez-le ou choisissez \
                 un autre dossier."
                    .into()
            }
            Error::Storage(_) | Error::Crypto(_) | Error::Config(_) => {
                "Erreur interne du coffre : réessayez plus tard.".into()
            }
            Error::HolderUnidentified => {
                "Ce certificat ne nomme pas son détenteur (nom et organisation ou nom de \
                 famille) : utilisez le certificat d'authentification de votre clé d'étude."
                    .into()
            }
            Error::DataMessageInvalid(d) => format!(
                "Le message de données de l'acte (message_acte.xml) est invalide : {d}. \
                 Préparez de nouveau le paquet."
            ),
            Error::DataMessageMismatch(d) => format!(
                "Le message de données de l'acte ne correspond pas au dépôt : {d}. \
                 Préparez de nouveau le paquet depuis l'application, pour ce destinataire et \
                 avec la clé de l'étude."
            ),
            Error::DataDirBusy(dir) => format!(
                "Le répertoire de données {} est déjà utilisé par un serveur sceau-vault en \
                 marche (verrou {}) : un seul serveur par répertoire, et la collecte (gc) \
                 attend l'arrêt du serveur. Arrêtez ce serveur avant de relancer la commande ; \
                 les autres commandes d'exploitation (recipients, consent, rules, bank, office, \
                 verify-journal) fonctionnent serveur en marche.",
                dir.display(),
                dir.join(crate::datadir::LOCK_FILE).display()
            ),
            Error::OfficeNotDeclared(n) => format!(
                "Aucune étude n° {n} n'est déclarée dans ce coffre : vérifiez le numéro, ou \
                 demandez à l'opérateur du coffre de déclarer l'étude (sceau-vault office add)."
            ),
            Error::BindIssuerMismatch => {
                "Ce certificat n'est pas émis par l'autorité de certification déclarée pour \
                 cette étude : utilisez le certificat de votre clé d'étude, ou demandez à \
                 l'opérateur du coffre de mettre à jour la déclaration de l'étude."
                    .into()
            }
            Error::BankCannotBind => {
                "Un certificat de banque ne peut pas ouvrir un espace d'étude : utilisez-le \
                 uniquement avec l'API banque."
                    .into()
            }
            Error::ActiveContent(what) => format!(
                "Retour refusé : le PDF contient du contenu actif ({what}). Déposez un PDF sans \
                 JavaScript, action automatique, lancement de programme ni fichier joint."
            ),
            Error::PdfRefused(why) => format!("Retour refusé : {why}."),
            Error::NoOfficeCa => {
                "Aucune autorité de certification des études n'est configurée (client_ca_files \
                 est vide dans vault.toml) : aucune étude ne pourrait se connecter. Ajoutez le \
                 fichier PEM de l'autorité qui émet les certificats des études dans \
                 client_ca_files (ou recréez le répertoire avec sceau-vault init --client-ca \
                 AC.pem), puis relancez."
                    .into()
            }
            Error::Busy => {
                "Le coffre vérifie déjà de nombreux documents : réessayez dans quelques instants."
                    .into()
            }
        }
    }

    /// HTTP status for the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::CertificateMissing
            | Error::CertificateUntrusted(_)
            | Error::CertificateExpired
            | Error::CertificateRevoked => StatusCode::UNAUTHORIZED,
            Error::CertificateNotBound
            | Error::BindOtherHolder
            | Error::HolderUnidentified
            | Error::OfficeNotDeclared(_)
            | Error::BindIssuerMismatch
            | Error::BankCannotBind => StatusCode::FORBIDDEN,
            Error::DataDirBusy(_) | Error::Busy | Error::NoOfficeCa => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Error::NotFound | Error::UnknownRecipient => StatusCode::NOT_FOUND,
            Error::IdempotencyConflict | Error::PathExists | Error::Retained => {
                StatusCode::CONFLICT
            }
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Storage(_) | Error::Crypto(_) | Error::Config(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// The body sent to clients.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code().into(),
            message: self.message_fr(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // The detail stays here; it never names a person or a document's content.
            tracing::error!(code = self.code(), detail = %self, "request failed");
        } else {
            tracing::info!(code = self.code(), "request refused");
        }
        (status, Json(self.body())).into_response()
    }
}

/// Shorthand for storage errors.
pub(crate) fn storage(e: impl std::fmt::Display) -> Error {
    Error::Storage(e.to_string())
}

/// Result with the vault's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
