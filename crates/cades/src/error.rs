//! The crate's one error type.

use crate::DigestAlgorithm;

/// Why signing, time-stamping or reading a signature failed.
///
/// A signature that parses but does not verify is *not* an error: it yields a
/// [`crate::VerificationReport`] listing its [`crate::Failure`]s.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The signature file (or a time-stamp token) is not a CMS structure we can read:
    /// truncated, not DER, or not SignedData.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being read ("signature file", "time-stamp token", ...).
        what: &'static str,
        /// The decoder's explanation.
        detail: String,
    },
    /// The signer (e.g. the token) failed; its `signature::Error` is kept intact so that the
    /// caller can downcast its source (a wrong PIN, a removed token, ...).
    #[error("the signer failed: {0}")]
    Signing(#[source] signature::Error),
    /// The signer's algorithm hashes with another digest than the one requested.
    #[error("the signer uses {signer} but {requested} was requested")]
    DigestMismatch {
        /// Digest requested in the options.
        requested: DigestAlgorithm,
        /// Digest implied by the signer's signature algorithm.
        signer: DigestAlgorithm,
    },
    /// The content digest passed to a digest-based function has the wrong length.
    #[error("a {alg} digest is {expected} bytes, got {actual}")]
    DigestLength {
        /// The digest algorithm.
        alg: DigestAlgorithm,
        /// Its output length.
        expected: usize,
        /// The length received.
        actual: usize,
    },
    /// The signature made by the signer does not verify with the signer certificate's key:
    /// the key and the certificate do not belong together.
    #[error("the signing key does not match the signer certificate")]
    KeyCertificateMismatch,
    /// An algorithm we do not implement (its object identifier).
    #[error("unsupported algorithm {oid}")]
    UnsupportedAlgorithm {
        /// Dotted object identifier.
        oid: String,
    },
    /// Reading the content failed.
    #[error("reading the content failed: {0}")]
    Io(#[from] std::io::Error),
    /// Encoding the CMS structure failed (a bug, or a value out of ASN.1 range).
    #[error("encoding failed: {0}")]
    Encoding(String),
    /// The time-stamping authority could not be reached.
    #[error("time-stamping authority {url} unreachable: {detail}")]
    TsaUnreachable {
        /// The TSA's URL.
        url: String,
        /// The transport's explanation.
        detail: String,
    },
    /// The time-stamping authority answered with an HTTP error or a wrong content type.
    #[error("time-stamping authority {url} answered HTTP {status} ({content_type})")]
    TsaHttp {
        /// The TSA's URL.
        url: String,
        /// HTTP status code.
        status: u16,
        /// Content-Type of the answer.
        content_type: String,
    },
    /// The time-stamping authority refused the request (PKIStatus rejection, waiting, ...).
    #[error("time-stamping authority refused the request: {status}{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    TsaRejected {
        /// The PKIStatus, as a word.
        status: String,
        /// The status text or failure info the TSA gave, if any.
        detail: Option<String>,
    },
    /// The time-stamp reply does not answer our request (nonce, imprint) or cannot be read.
    #[error("invalid time-stamp reply: {0}")]
    TsaInvalidResponse(String),
    /// A batch stopped after the signer failed (token error): this item was not signed.
    #[error("batch stopped after a signer failure: {0}")]
    BatchAborted(String),
}

impl Error {
    /// The stable code scripts and the window branch on, full (`cades.*`): built here once, so
    /// that the CLI and the application no longer invent their own.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Malformed { .. } => "cades.malformed",
            Error::Signing(_) => "cades.signing",
            Error::DigestMismatch { .. } => "cades.digest_mismatch",
            Error::DigestLength { .. } => "cades.digest_length",
            Error::KeyCertificateMismatch => "cades.key_certificate_mismatch",
            Error::UnsupportedAlgorithm { .. } => "cades.unsupported_algorithm",
            Error::Io(_) => "cades.io",
            Error::Encoding(_) => "cades.encoding",
            Error::TsaUnreachable { .. } => "cades.tsa_unreachable",
            Error::TsaHttp { .. } => "cades.tsa_http",
            Error::TsaRejected { .. } => "cades.tsa_rejected",
            Error::TsaInvalidResponse(_) => "cades.tsa_invalid",
            Error::BatchAborted(_) => "cades.batch_aborted",
        }
    }

    /// One error of every variant, for the workspace's error-vocabulary test. A new variant
    /// does not compile until [`Error::code`] names it; the test then asks for its example.
    #[doc(hidden)]
    pub fn examples() -> Vec<Error> {
        vec![
            Error::Malformed {
                what: "signature file",
                detail: "truncated".into(),
            },
            Error::Signing(signature::Error::new()),
            Error::DigestMismatch {
                requested: DigestAlgorithm::Sha256,
                signer: DigestAlgorithm::Sha384,
            },
            Error::DigestLength {
                alg: DigestAlgorithm::Sha256,
                expected: 32,
                actual: 20,
            },
            Error::KeyCertificateMismatch,
            Error::UnsupportedAlgorithm {
                oid: "1.2.3".into(),
            },
            Error::Io(std::io::Error::other("disk")),
            Error::Encoding("too long".into()),
            Error::TsaUnreachable {
                url: "http://tsa.test".into(),
                detail: "refused".into(),
            },
            Error::TsaHttp {
                url: "http://tsa.test".into(),
                status: 500,
                content_type: "text/html".into(),
            },
            Error::TsaRejected {
                status: "rejection".into(),
                detail: None,
            },
            Error::TsaInvalidResponse("nonce".into()),
            Error::BatchAborted("token".into()),
        ]
    }

    /// A French sentence for the clerk, saying what happened and what to do.
    pub fn message_fr(&self) -> String {
        match self {
            Error::Malformed { .. } => "Le fichier de signature est illisible ou incomplet \
                (tronqué, ou ce n'est pas une signature CAdES). Demandez à l'expéditeur de \
                renvoyer le fichier .p7s d'origine."
                .into(),
            Error::Signing(_) => "La clé de signature a refusé de signer (code PIN incorrect, \
                clé retirée ou bloquée). Vérifiez la clé USB et le code PIN, puis recommencez."
                .into(),
            Error::DigestMismatch { requested, signer } => format!(
                "La clé de signature utilise l'empreinte {signer} alors que {requested} a été \
                 demandée. Choisissez {signer} ou une autre clé."
            ),
            Error::DigestLength { .. } => "L'empreinte du document fournie n'a pas la bonne \
                longueur : recalculez-la avec l'algorithme choisi."
                .into(),
            Error::KeyCertificateMismatch => "La clé qui a signé ne correspond pas au \
                certificat choisi. Sélectionnez le certificat de signature de cette clé."
                .into(),
            Error::UnsupportedAlgorithm { oid } => {
                format!("Cette signature utilise un algorithme non pris en charge ({oid}).")
            }
            Error::Io(e) => format!("Le document n'a pas pu être lu : {e}."),
            Error::Encoding(_) => "La signature n'a pas pu être construite (erreur interne). \
                Signalez-le au support."
                .into(),
            Error::TsaUnreachable { url, .. } => format!(
                "Le service d'horodatage ({url}) est injoignable. Vérifiez la connexion réseau \
                 puis recommencez ; la signature n'a pas été horodatée."
            ),
            Error::TsaHttp { status, .. } => format!(
                "Le service d'horodatage a répondu par une erreur (HTTP {status}). Réessayez \
                 plus tard ou contactez son exploitant."
            ),
            Error::TsaRejected { status, .. } => format!(
                "Le service d'horodatage a refusé la demande ({status}). Réessayez plus tard \
                 ou contactez son exploitant."
            ),
            Error::BatchAborted(_) => "Ce document n'a pas été signé : la signature du lot s'est \
                arrêtée sur une erreur de la clé (voir le premier document en erreur). Corrigez \
                puis relancez le lot."
                .into(),
            Error::TsaInvalidResponse(_) => "La réponse du service d'horodatage est invalide \
                ou ne correspond pas à la demande ; la signature n'a pas été horodatée."
                .into(),
        }
    }
}

impl From<der::Error> for Error {
    fn from(e: der::Error) -> Self {
        Error::Encoding(e.to_string())
    }
}

impl From<spki::Error> for Error {
    fn from(e: spki::Error) -> Self {
        Error::Encoding(e.to_string())
    }
}

/// Maps a decoding error of untrusted input to [`Error::Malformed`].
pub(crate) fn malformed(what: &'static str) -> impl FnOnce(der::Error) -> Error {
    move |e| Error::Malformed {
        what,
        detail: e.to_string(),
    }
}
