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
    #[error("no consent in force: {}", .0.code())]
    NoConsent(sceau_core::consent::ConsentStatus),
    /// An act does not mention the recipient's consent to electronic service.
    #[error("{file} lacks the consent mention")]
    ConsentMention {
        /// The act concerned.
        file: String,
        /// When the consent in force was given.
        given_at: chrono::DateTime<chrono::Utc>,
    },
    /// An invitation to electronic service refused (the code says why).
    #[error("invitation: {}", .0.code())]
    Invitation(crate::invitation::Refusal),
    /// A change the register of consents refuses (the code says which).
    #[error("consent register: {}", .0.code())]
    Register(crate::register::Refusal),
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
    /// Moving an entry out of a folder still within its retention period.
    #[error("moving out of a retained folder")]
    RetainedFolder {
        /// The retained folder.
        folder: String,
        /// Until when.
        until: chrono::DateTime<chrono::Utc>,
    },
    /// A retention that would end earlier than the current one.
    #[error("retention may not be shortened")]
    RetentionShortened {
        /// The current end.
        until: chrono::DateTime<chrono::Utc>,
    },
    /// A retention ending in the past.
    #[error("retention date in the past")]
    RetentionPast,
    /// A description refused (too long, control characters); never its text.
    #[error("description refused: {0:?}")]
    DescriptionInvalid(sceau_proto::DescriptionProblem),
    /// The target path exists already.
    #[error("path exists")]
    PathExists,
    /// Storage failure (database, files, S3).
    #[error("storage: {0}")]
    Storage(#[source] StorageError),
    /// Cryptographic failure inside the vault (sealing, time-stamping).
    #[error("crypto: {0}")]
    Crypto(#[source] CryptoError),
    /// Configuration problem.
    #[error("configuration: {0}")]
    Config(#[source] ConfigError),
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
    /// The package's single XML flow (`flux_acte.xml`) is not the one its checked parts make:
    /// one byte differs.
    #[error("single XML flow does not match the package")]
    FlowMismatch,
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
    /// A new recipient from an office is refused by its rule (`sceau_core::recipient`).
    #[error("new recipient refused: {} problem(s)", .0.len())]
    RecipientInvalid(Vec<sceau_core::recipient::RecipientProblem>),
    /// A new recipient is already in the directory (same SIRET, NIR, or e-mail and birth date):
    /// the existing cards, never merged.
    #[error("new recipient already in the directory ({} card(s))", .0.len())]
    RecipientDuplicate(Vec<sceau_proto::Recipient>),
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
            Error::NoConsent(_) => "no_consent",
            Error::Register(r) => r.code(),
            Error::Invitation(r) => r.code(),
            Error::ConsentMention { .. } => "consent_mention_missing",
            Error::Closed { .. } => "closed",
            Error::BadSignature { .. } => "bad_signature",
            Error::SignerMismatch { .. } => "signer_mismatch",
            Error::NotPdfA { .. } => "not_pdfa",
            Error::TooLarge(_) => "too_large",
            Error::DigestMismatch => "digest_mismatch",
            Error::IdempotencyConflict => "idempotency_conflict",
            Error::BadPackage(_) => "bad_package",
            Error::Retained => "retained",
            Error::RetainedFolder { .. } => "retained_folder",
            Error::RetentionShortened { .. } => "retention_shortened",
            Error::RetentionPast => "retention_past",
            Error::DescriptionInvalid(_) => "description_invalid",
            Error::PathExists => "path_exists",
            Error::Storage(_) | Error::Crypto(_) | Error::Config(_) => "internal",
            Error::HolderUnidentified => "holder_unidentified",
            Error::DataMessageInvalid(_) => "data_message_invalid",
            Error::DataMessageMismatch(_) => "data_message_mismatch",
            Error::FlowMismatch => "flow_mismatch",
            Error::DataDirBusy(_) => "data_dir_busy",
            Error::OfficeNotDeclared(_) => "office_not_declared",
            Error::BindIssuerMismatch => "bind_issuer_mismatch",
            Error::BankCannotBind => "bank_cannot_bind",
            Error::ActiveContent(_) => "return_active_content",
            Error::PdfRefused(_) => "return_pdf_refused",
            Error::Busy => "busy",
            Error::NoOfficeCa => "no_office_ca",
            Error::RecipientInvalid(_) => "recipient_invalid",
            Error::RecipientDuplicate(_) => "recipient_duplicate",
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
            Error::NoConsent(_)
            | Error::Register(_)
            | Error::Invitation(_)
            | Error::ConsentMention { .. } => self.consent_message_fr(),
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
                "Suppression impossible : la durée de conservation de cet élément (ou d'un \
                 élément qu'il contient, ou du dossier qui le contient) n'est pas écoulée. \
                 Attendez sa fin ; la date figure dans ses propriétés."
                    .into()
            }
            Error::RetainedFolder { .. }
            | Error::RetentionShortened { .. }
            | Error::RetentionPast
            | Error::DescriptionInvalid(_) => self.properties_message_fr(),
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
            Error::DataMessageInvalid(_) | Error::DataMessageMismatch(_) | Error::FlowMismatch => {
                self.package_message_fr()
            }
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
            Error::RecipientInvalid(problems) => {
                let mut s = String::from("Destinataire refusé, rien n'a été enregistré :");
                for p in problems {
                    s.push(' ');
                    s.push_str(&p.message_fr());
                }
                s
            }
            Error::RecipientDuplicate(existing) => format!(
                "Ce destinataire existe déjà dans le coffre : {}. Utilisez la fiche existante \
                 (rien n'a été enregistré) ; si ce n'est pas la même personne, vérifiez les \
                 identifiants, l'adresse électronique et la date de naissance saisis.",
                existing
                    .iter()
                    .map(sceau_proto::Recipient::label_fr)
                    .collect::<Vec<_>>()
                    .join(" ; ")
            ),
        }
    }

    /// The messages of the refusals of an office vault entry's properties.
    fn properties_message_fr(&self) -> String {
        let day = |t: &chrono::DateTime<chrono::Utc>| {
            t.with_timezone(&sceau_core::PARIS)
                .format("%d/%m/%Y %H:%M")
                .to_string()
        };
        match self {
            Error::RetainedFolder { folder, until } => format!(
                "Déplacement impossible : le dossier « {folder} » est conservé jusqu'au {} ; \
                 son contenu ne peut pas en sortir avant. Déplacez-le à l'intérieur de ce \
                 dossier, ou attendez la fin de la conservation.",
                day(until)
            ),
            Error::RetentionShortened { until } => format!(
                "Cet élément est déjà conservé jusqu'au {} : la conservation peut être \
                 prolongée, jamais raccourcie ni retirée. Choisissez une date postérieure.",
                day(until)
            ),
            Error::RetentionPast => {
                "La date de conservation est passée : choisissez aujourd'hui ou une date à venir."
                    .into()
            }
            Error::DescriptionInvalid(p) => format!("Description refusée : {}.", p.message_fr()),
            _ => String::new(),
        }
    }

    /// The messages of a package whose data message or single XML flow is refused.
    fn package_message_fr(&self) -> String {
        match self {
            Error::DataMessageInvalid(d) => format!(
                "Le message de données de l'acte (message_acte.xml) est invalide : {d}. \
                 Préparez de nouveau le paquet."
            ),
            Error::DataMessageMismatch(d) => format!(
                "Le message de données de l'acte ne correspond pas au dépôt : {d}. \
                 Préparez de nouveau le paquet depuis l'application, pour ce destinataire et \
                 avec la clé de l'étude."
            ),
            Error::FlowMismatch => "Le flux XML de l'acte (flux_acte.xml) ne reproduit pas \
                 exactement le message de données, les actes signés et leurs signatures du \
                 paquet : il a été modifié après sa préparation. Préparez de nouveau le paquet \
                 depuis l'application."
                .into(),
            _ => String::new(),
        }
    }

    /// The messages of the consent register's refusals (CPC 748-2, 662-1).
    fn consent_message_fr(&self) -> String {
        match self {
            Error::NoConsent(status) => format!(
                "{} (registre des consentements du coffre)",
                status.message_fr().trim_end_matches('.')
            ),
            Error::Register(r) => r.message_fr(),
            Error::Invitation(r) => r.message_fr(),
            Error::ConsentMention { file, given_at } => format!(
                "L'acte {file} ne mentionne pas le consentement du destinataire à la \
                 signification par voie électronique (articles 662-1 et 748-1 du code de \
                 procédure civile ; consentement donné le {}). Ajoutez la mention à l'acte, ou \
                 laissez l'application l'apposer, puis signifiez-le de nouveau.",
                sceau_core::naming::format_paris(*given_at)
            ),
            other => other.to_string(),
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
            Error::IdempotencyConflict
            | Error::PathExists
            | Error::Retained
            | Error::RetainedFolder { .. }
            | Error::RetentionShortened { .. }
            | Error::RecipientDuplicate(_) => StatusCode::CONFLICT,
            Error::Register(r) if r.is_conflict() => StatusCode::CONFLICT,
            Error::Invitation(r) => r.status(),
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
        let (code, message) = (self.code(), self.message_fr());
        match self {
            // A refused new recipient says which fields, or which cards already exist.
            Error::RecipientInvalid(problems) => {
                let refusal = sceau_proto::RecipientRefusal {
                    code: code.into(),
                    message,
                    problems: problems
                        .iter()
                        .map(|p| sceau_proto::RecipientProblemBody {
                            code: p.code().into(),
                            field: p.field().code().into(),
                            message: p.message_fr(),
                        })
                        .collect(),
                    existing: Vec::new(),
                };
                (status, Json(refusal)).into_response()
            }
            Error::RecipientDuplicate(existing) => {
                let refusal = sceau_proto::RecipientRefusal {
                    code: code.into(),
                    message,
                    problems: Vec::new(),
                    existing,
                };
                (status, Json(refusal)).into_response()
            }
            _ => (status, Json(self.body())).into_response(),
        }
    }
}

/// A storage failure, its cause kept as the source: what [`Error::Storage`] carries. Each
/// variant displays its cause's message as is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// SQLite.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL.
    #[error(transparent)]
    Postgres(#[from] postgres::Error),
    /// Files: blobs, spool, pending notes, the data directory.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A temporary file that could not take its final name.
    #[error(transparent)]
    Persist(#[from] tempfile::PersistError),
    /// The object store (S3).
    #[error(transparent)]
    ObjectStore(#[from] object_store::Error),
    /// A JSON value stored or read back.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A stored time or day.
    #[error(transparent)]
    Time(#[from] chrono::ParseError),
    /// A stored hexadecimal value.
    #[error(transparent)]
    Hex(#[from] hex::FromHexError),
    /// An archive being written.
    #[error(transparent)]
    Zip(#[from] zip::result::ZipError),
    /// A blocking task that panicked or was cancelled.
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
    /// The failure of a group commit, given to every item of the group.
    #[error(transparent)]
    Group(std::sync::Arc<Error>),
    /// A broken invariant: something the vault relies on is missing or unreadable.
    #[error("{0}")]
    Invariant(&'static str),
}

impl From<&'static str> for StorageError {
    fn from(what: &'static str) -> Self {
        StorageError::Invariant(what)
    }
}

/// A cryptographic failure inside the vault, its cause kept as the source: what
/// [`Error::Crypto`] carries.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// A CMS signature (a seal, a time-stamp token).
    #[error(transparent)]
    Cms(#[from] sceau_cades::Error),
    /// A DER encoding or decoding.
    #[error(transparent)]
    Der(#[from] der::Error),
    /// A time a time-stamp token cannot carry.
    #[error(transparent)]
    Time(#[from] std::num::TryFromIntError),
    /// A sealed document (a delivery notice, a consent declaration) could not be rendered.
    #[error("rendu d'un document scellé : {0}")]
    Rendering(#[source] sceau_pdfa::Error),
}

/// A configuration problem, its cause kept as the source: what [`Error::Config`] carries.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file of the configuration or of the data directory that cannot be read or written.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Files of the data directory (keys, certificates, modes).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// `vault.toml` that is not the expected TOML.
    #[error("{}: {source}", path.display())]
    Toml {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: toml::de::Error,
    },
    /// The configuration that cannot be written as TOML.
    #[error(transparent)]
    TomlWrite(#[from] toml::ser::Error),
    /// A PEM file that is not PEM (this error type is a leaf without `std::error::Error`).
    #[error("{0}")]
    Pem(der::pem::Error),
    /// A certificate that is not DER.
    #[error(transparent)]
    Der(#[from] der::Error),
    /// A private key that is not PKCS#8.
    #[error(transparent)]
    Pkcs8(#[from] p256::pkcs8::Error),
    /// A key or certificate that could not be generated.
    #[error(transparent)]
    Generate(#[from] rcgen::Error),
    /// TLS.
    #[error(transparent)]
    Tls(#[from] rustls::Error),
    /// The server certificate and key TLS refuses.
    #[error("server certificate: {0}")]
    ServerCertificate(#[source] rustls::Error),
    /// A client CA TLS refuses.
    #[error("client CA: {0}")]
    ClientCa(#[source] rustls::Error),
    /// The client certificate verifier that cannot be built.
    #[error("client verifier: {0}")]
    ClientVerifier(#[source] rustls::server::VerifierBuilderError),
    /// The shipped catalogue of natures (its French message).
    #[error("{}", .0.message_fr())]
    Catalogue(#[source] sceau_core::CoreError),
    /// A revocation list that cannot be read (`crl_files`).
    #[error(
        "liste de révocation {} illisible ({source}) : remplacez-la par la liste publiée par \
         l'autorité (PEM ou DER)",
        path.display()
    )]
    CrlUnreadable {
        /// The list.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A revocation list the vault cannot use (`crl_files`).
    #[error(
        "liste de révocation {} {problem} : remplacez-la par la liste publiée par \
         l'autorité (PEM ou DER)",
        path.display()
    )]
    Crl {
        /// The list.
        path: std::path::PathBuf,
        /// What is wrong with it, in French.
        problem: &'static str,
    },
}

impl From<der::pem::Error> for ConfigError {
    fn from(e: der::pem::Error) -> Self {
        ConfigError::Pem(e)
    }
}

/// Shorthand for storage errors: anything a [`StorageError`] is made from (a static text is a
/// broken invariant).
pub(crate) fn storage(e: impl Into<StorageError>) -> Error {
    Error::Storage(e.into())
}

/// Shorthand for cryptographic errors.
pub(crate) fn crypto(e: impl Into<CryptoError>) -> Error {
    Error::Crypto(e.into())
}

/// Shorthand for configuration errors.
pub(crate) fn config(e: impl Into<ConfigError>) -> Error {
    Error::Config(e.into())
}

/// The configuration error of file `path` that cannot be read or written, for `map_err`.
pub(crate) fn file_error(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| {
        config(ConfigError::File {
            path: path.to_owned(),
            source,
        })
    }
}

/// Result with the vault's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_keep_their_cause_as_source_and_tell_the_client_nothing_more() {
        let io = std::io::Error::other("disque plein");
        let cases = [
            (storage(io), "storage: disque plein"),
            (storage("blob missing"), "storage: blob missing"),
            (
                crypto(u8::try_from(300u16).unwrap_err()),
                "crypto: out of range integral type conversion attempted",
            ),
            (
                config(ConfigError::File {
                    path: "/etc/vault.toml".into(),
                    source: std::io::Error::other("absent"),
                }),
                "configuration: /etc/vault.toml: absent",
            ),
        ];
        for (e, shown) in cases {
            assert_eq!(e.to_string(), shown);
            assert_eq!(e.code(), "internal");
            assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(
                e.body().message,
                "Erreur interne du coffre : réessayez plus tard."
            );
            assert!(std::error::Error::source(&e).is_some(), "{e}");
        }
        let e = storage(std::io::Error::other("disque plein"));
        let source = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<StorageError>());
        assert!(matches!(source, Some(StorageError::Io(_))), "{source:?}");
    }
}
