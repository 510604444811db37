//! Verification of detached CAdES-BES / CAdES-T signatures into a structured report.
//!
//! Only input that cannot be parsed at all is an [`Error`]; everything else (modified document,
//! wrong key, untrusted or expired certificate, bad time-stamp) is a [`Failure`] in the
//! [`VerificationReport`], so that the application can explain it to a clerk.

use std::io::Read;

use chrono::{DateTime, Utc};
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use const_oid::db::rfc5911::{
    ID_AA_SIGNING_CERTIFICATE_V_2, ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNING_TIME,
};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Any, Encode};
use serde::Serialize;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use x509_cert::time::Time;
use x509_cert::Certificate;

use crate::algs::{self, SigError};
use crate::certinfo::{
    decode_any, has_time_stamping_eku, summarize, to_chrono, CertificateSummary,
};
use crate::ess::SigningCertificateV2;
use crate::tsp::{parse_signed_data, parse_token, ID_AA_SIGNATURE_TIME_STAMP_TOKEN};
use crate::{digest_reader, DigestAlgorithm, Error};

/// Longest certification path we follow (guards against loops in hostile files).
const MAX_CHAIN_DEPTH: usize = 8;

/// Everything checked about one detached signature.
#[derive(Debug, Clone, Serialize)]
pub struct VerificationReport {
    /// The signer's certificate, if it was found in the signature.
    pub signer: Option<CertificateSummary>,
    /// The SignerInfo's digest algorithm, if supported.
    pub digest_algorithm: Option<DigestAlgorithm>,
    /// The signature algorithm, e.g. "RSA-PSS SHA-256" (an OID when unknown).
    pub signature_algorithm: String,
    /// The signing time claimed by the signer (signing-time attribute).
    pub signing_time: Option<DateTime<Utc>>,
    /// Whether the document's digest matches the signed message-digest attribute.
    pub content_digest_ok: bool,
    /// Whether the signature value verifies with the signer certificate's key.
    pub signature_ok: bool,
    /// State of the ESS signing-certificate-v2 attribute.
    pub signing_certificate: SigningCertificateStatus,
    /// The certification path from the signer to a trust anchor.
    pub chain: ChainReport,
    /// The signature time-stamp (CAdES-T), if present.
    pub timestamp: Option<TimestampReport>,
    /// The time at which certificates were checked.
    pub validation_time: DateTime<Utc>,
    /// Where [`Self::validation_time`] comes from.
    pub validation_time_source: TimeSource,
    failures: Vec<Failure>,
}

impl VerificationReport {
    /// Every problem found, most fundamental first; empty for a valid signature.
    pub fn failures(&self) -> Vec<Failure> {
        self.failures.clone()
    }

    /// Whether the signature is valid (no failure at all).
    pub fn is_valid(&self) -> bool {
        self.failures.is_empty()
    }
}

/// A problem that makes a signature invalid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Failure {
    /// The document differs from the one that was signed.
    #[error("the content digest does not match the signed message digest")]
    ContentDigestMismatch,
    /// The signature value does not verify with the signer certificate's key.
    #[error("the signature value does not verify with the signer's certificate")]
    BadSignature,
    /// The certificate named by the SignerInfo is not in the signature.
    #[error("the signer's certificate is not included in the signature")]
    SignerCertificateNotFound,
    /// A mandatory signed attribute is absent.
    #[error("signed attribute {attribute} is missing")]
    SignedAttributeMissing {
        /// The attribute's name.
        attribute: String,
    },
    /// No ESS signing-certificate-v2 attribute (required by CAdES-BES).
    #[error("the signing-certificate-v2 attribute is missing")]
    SigningCertificateAttributeMissing,
    /// The signing-certificate-v2 attribute designates another certificate.
    #[error("the signing-certificate-v2 attribute designates another certificate")]
    SigningCertificateAttributeMismatch,
    /// No path from the signer certificate to a trust anchor.
    #[error("the certificate chain does not lead to a trusted authority")]
    UntrustedChain,
    /// A certificate of the path was not signed by its issuer's key.
    #[error("the signature of certificate {subject} is invalid")]
    BadCertificateSignature {
        /// Subject of the certificate whose signature is invalid.
        subject: String,
    },
    /// A certificate had expired at the validation time.
    #[error("certificate {subject} expired on {not_after}, before {at}")]
    CertificateExpiredAtSigningTime {
        /// Subject of the expired certificate.
        subject: String,
        /// Its end of validity.
        not_after: DateTime<Utc>,
        /// The validation time.
        at: DateTime<Utc>,
    },
    /// A certificate was not yet valid at the validation time.
    #[error("certificate {subject} is valid only from {not_before}, after {at}")]
    CertificateNotYetValid {
        /// Subject of the certificate.
        subject: String,
        /// Its start of validity.
        not_before: DateTime<Utc>,
        /// The validation time.
        at: DateTime<Utc>,
    },
    /// The signer certificate's key usage allows neither signatures nor non-repudiation.
    #[error("certificate {subject} is not meant for signing")]
    CertificateNotForSigning {
        /// Subject of the certificate.
        subject: String,
    },
    /// The signature time-stamp is invalid.
    #[error("invalid time-stamp: {reason}")]
    TimestampInvalid {
        /// What is wrong with it.
        reason: String,
    },
    /// An algorithm we do not implement, so the signature could not be checked.
    #[error("unsupported algorithm {algorithm}")]
    UnsupportedAlgorithm {
        /// Its OID or description.
        algorithm: String,
    },
    /// The file holds several signers; only the first was checked.
    #[error("the file holds {count} signers; only one is expected")]
    MultipleSigners {
        /// How many SignerInfos.
        count: usize,
    },
}

impl Failure {
    /// A French sentence for the clerk, saying what is wrong and what to do.
    pub fn message_fr(&self) -> String {
        match self {
            Failure::ContentDigestMismatch => "Le document a été modifié après sa signature : \
                la signature ne correspond plus à son contenu."
                .into(),
            Failure::BadSignature => "La signature est invalide : elle n'a pas été produite par \
                la clé du certificat annoncé. Ne vous fiez pas à ce document."
                .into(),
            Failure::SignerCertificateNotFound => "Le certificat du signataire est absent du \
                fichier de signature : impossible de savoir qui a signé."
                .into(),
            Failure::SignedAttributeMissing { attribute } => format!(
                "La signature est incomplète (attribut signé « {attribute} » absent) : elle \
                 n'est pas conforme au format CAdES."
            ),
            Failure::SigningCertificateAttributeMissing => "La signature ne désigne pas son \
                certificat (attribut signing-certificate-v2 absent) : elle n'est pas conforme \
                au format CAdES-BES."
                .into(),
            Failure::SigningCertificateAttributeMismatch => "Le certificat joint n'est pas \
                celui que la signature désigne : le certificat a pu être substitué."
                .into(),
            Failure::UntrustedChain => "Le certificat du signataire n'a pas été émis par une \
                autorité de confiance reconnue."
                .into(),
            Failure::BadCertificateSignature { subject } => format!(
                "Le certificat « {subject} » est falsifié : sa signature par l'autorité est \
                 invalide."
            ),
            Failure::CertificateExpiredAtSigningTime {
                subject, not_after, ..
            } => format!(
                "Le certificat « {subject} » avait expiré le {} au moment de la signature.",
                not_after
                    .with_timezone(&chrono_tz::Europe::Paris)
                    .format("%d/%m/%Y")
            ),
            Failure::CertificateNotYetValid {
                subject,
                not_before,
                ..
            } => format!(
                "Le certificat « {subject} » n'était pas encore valide au moment de la \
                 signature (valide à partir du {}).",
                not_before
                    .with_timezone(&chrono_tz::Europe::Paris)
                    .format("%d/%m/%Y")
            ),
            Failure::CertificateNotForSigning { subject } => {
                format!("Le certificat « {subject} » n'est pas un certificat de signature.")
            }
            Failure::TimestampInvalid { .. } => "L'horodatage de la signature est invalide : \
                la date de signature n'est pas garantie."
                .into(),
            Failure::UnsupportedAlgorithm { algorithm } => format!(
                "La signature utilise un algorithme non pris en charge ({algorithm}) : elle n'a \
                 pas pu être vérifiée."
            ),
            Failure::MultipleSigners { count } => format!(
                "Le fichier contient {count} signatures ; seule la première a été vérifiée."
            ),
        }
    }
}

/// State of the ESS signing-certificate-v2 signed attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SigningCertificateStatus {
    /// Present and designating the signer certificate.
    Matches,
    /// Absent.
    Missing,
    /// Present but designating another certificate (or unreadable).
    Mismatch,
}

/// Outcome of path building.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainStatus {
    /// Every certificate's signature verified, up to a trust anchor.
    Trusted,
    /// No path to a trust anchor.
    Untrusted,
    /// A certificate's signature does not verify with its issuer's key.
    InvalidCertificateSignature,
    /// A certificate uses an algorithm we do not implement.
    UnsupportedAlgorithm,
}

/// The certification path, signer first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// Outcome of path building.
    pub status: ChainStatus,
    /// The certificates of the path found, signer first, trust anchor last when reached.
    pub certificates: Vec<CertificateSummary>,
}

/// Where the validation time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// The genTime of a valid signature time-stamp (trusted).
    Timestamp,
    /// The signing-time attribute (claimed by the signer, not proven).
    SigningTimeAttribute,
    /// The verification time, for lack of anything else.
    VerificationTime,
}

/// What was checked about a signature time-stamp token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimestampReport {
    /// The time certified by the TSA.
    pub gen_time: Option<DateTime<Utc>>,
    /// The TSA's certificate.
    pub tsa: Option<CertificateSummary>,
    /// The TSA policy OID.
    pub policy: Option<String>,
    /// The token's serial number, hex.
    pub serial_hex: Option<String>,
    /// Whether the token's message imprint is the hash of the signature value.
    pub imprint_ok: bool,
    /// Whether the token's own signature verifies.
    pub signature_ok: bool,
    /// The TSA certificate's path status.
    pub chain: ChainStatus,
    /// What is wrong with the token (English); empty when valid.
    pub problems: Vec<String>,
}

impl TimestampReport {
    /// Whether the token is valid.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies a detached signature `p7s_der` over `content`, trusting `trust_anchors`.
/// `now` is used as validation time when the signature carries no time at all.
pub fn verify_detached(
    content: &[u8],
    p7s_der: &[u8],
    trust_anchors: &[Certificate],
    now: DateTime<Utc>,
) -> Result<VerificationReport, Error> {
    let parsed = Parsed::new(p7s_der)?;
    let digest = parsed.digest_alg.map(|d| d.hash(content));
    Ok(parsed.report(digest.as_deref(), trust_anchors, now))
}

/// Like [`verify_detached`], hashing the content from a reader (large files).
pub fn verify_detached_reader(
    content: impl Read,
    p7s_der: &[u8],
    trust_anchors: &[Certificate],
    now: DateTime<Utc>,
) -> Result<VerificationReport, Error> {
    let parsed = Parsed::new(p7s_der)?;
    let digest = match parsed.digest_alg {
        Some(d) => Some(digest_reader(d, content)?),
        None => None,
    };
    Ok(parsed.report(digest.as_deref(), trust_anchors, now))
}

struct Parsed {
    signed_data: SignedData,
    certs: Vec<Certificate>,
    digest_alg: Option<DigestAlgorithm>,
}

impl Parsed {
    fn new(p7s_der: &[u8]) -> Result<Self, Error> {
        let signed_data = parse_signed_data(p7s_der, "signature file")?;
        let first = signed_data
            .signer_infos
            .0
            .iter()
            .next()
            .ok_or(Error::Malformed {
                what: "signature file",
                detail: "it contains no signer".into(),
            })?;
        let digest_alg = DigestAlgorithm::from_oid(&first.digest_alg.oid);
        let certs = certificates(&signed_data);
        Ok(Parsed {
            signed_data,
            certs,
            digest_alg,
        })
    }

    fn report(
        &self,
        content_digest: Option<&[u8]>,
        anchors: &[Certificate],
        now: DateTime<Utc>,
    ) -> VerificationReport {
        let infos = self.signed_data.signer_infos.0.as_slice();
        let mut failures = Vec::new();
        let Some(si) = infos.first() else {
            // Parsed::new refused this case already; keep a coherent answer anyway.
            failures.push(Failure::SignerCertificateNotFound);
            return empty_report(failures, now);
        };
        if infos.len() > 1 {
            failures.push(Failure::MultipleSigners { count: infos.len() });
        }
        let check = check_signer_info(si, &self.certs, content_digest);
        failures.extend(check.failures.iter().cloned());

        let signing_time = signed_attr(si, ID_SIGNING_TIME)
            .and_then(decode_any::<Time>)
            .and_then(|t| to_chrono(t.to_unix_duration()));

        let signing_certificate = match signed_attr(si, ID_AA_SIGNING_CERTIFICATE_V_2) {
            None => {
                failures.push(Failure::SigningCertificateAttributeMissing);
                SigningCertificateStatus::Missing
            }
            Some(value) => {
                let matches = SigningCertificateV2::from_any(value)
                    .ok()
                    .zip(check.cert)
                    .and_then(|(attr, cert)| attr.matches(cert));
                if matches == Some(true) {
                    SigningCertificateStatus::Matches
                } else {
                    // Without the certificate there is nothing to match: already reported.
                    if check.cert.is_some() {
                        failures.push(Failure::SigningCertificateAttributeMismatch);
                    }
                    SigningCertificateStatus::Mismatch
                }
            }
        };

        let timestamp = unsigned_attr(si, ID_AA_SIGNATURE_TIME_STAMP_TOKEN)
            .map(|token| check_timestamp(token, si.signature.as_bytes(), &self.certs, anchors));
        if let Some(ts) = &timestamp {
            if !ts.is_valid() {
                failures.push(Failure::TimestampInvalid {
                    reason: ts.problems.join("; "),
                });
            }
        }
        let (validation_time, validation_time_source) =
            match (timestamp.as_ref().filter(|t| t.is_valid()), signing_time) {
                (
                    Some(TimestampReport {
                        gen_time: Some(t), ..
                    }),
                    _,
                ) => (*t, TimeSource::Timestamp),
                (_, Some(t)) => (t, TimeSource::SigningTimeAttribute),
                _ => (now, TimeSource::VerificationTime),
            };

        let chain = match check.cert {
            Some(cert) => {
                let path = build_chain(cert, &self.certs, anchors);
                match path.status {
                    ChainStatus::Trusted => {}
                    ChainStatus::Untrusted => failures.push(Failure::UntrustedChain),
                    ChainStatus::InvalidCertificateSignature => {
                        failures.push(Failure::BadCertificateSignature {
                            subject: path.bad_subject.clone().unwrap_or_default(),
                        })
                    }
                    ChainStatus::UnsupportedAlgorithm => {
                        failures.push(Failure::UnsupportedAlgorithm {
                            algorithm: path.bad_subject.clone().unwrap_or_default(),
                        })
                    }
                }
                failures.extend(validity_failures(&path.certs, validation_time));
                if !allows_signing(cert) {
                    failures.push(Failure::CertificateNotForSigning {
                        subject: cert.tbs_certificate.subject.to_string(),
                    });
                }
                ChainReport {
                    status: path.status,
                    certificates: path.certs.iter().map(|c| summarize(c)).collect(),
                }
            }
            None => ChainReport {
                status: ChainStatus::Untrusted,
                certificates: Vec::new(),
            },
        };

        VerificationReport {
            signer: check.cert.map(summarize),
            digest_algorithm: check.digest_alg,
            signature_algorithm: check.signature_algorithm,
            signing_time,
            content_digest_ok: check.message_digest_ok,
            signature_ok: check.signature_ok,
            signing_certificate,
            chain,
            timestamp,
            validation_time,
            validation_time_source,
            failures,
        }
    }
}

fn empty_report(failures: Vec<Failure>, now: DateTime<Utc>) -> VerificationReport {
    VerificationReport {
        signer: None,
        digest_algorithm: None,
        signature_algorithm: String::new(),
        signing_time: None,
        content_digest_ok: false,
        signature_ok: false,
        signing_certificate: SigningCertificateStatus::Missing,
        chain: ChainReport {
            status: ChainStatus::Untrusted,
            certificates: Vec::new(),
        },
        timestamp: None,
        validation_time: now,
        validation_time_source: TimeSource::VerificationTime,
        failures,
    }
}

/// The plain X.509 certificates of a SignedData (other certificate formats are ignored).
fn certificates(sd: &SignedData) -> Vec<Certificate> {
    sd.certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            CertificateChoices::Other(_) => None,
        })
        .collect()
}

/// What checking one SignerInfo (of the signature or of a time-stamp token) established.
struct SignerCheck<'a> {
    cert: Option<&'a Certificate>,
    digest_alg: Option<DigestAlgorithm>,
    signature_algorithm: String,
    message_digest_ok: bool,
    signature_ok: bool,
    failures: Vec<Failure>,
}

fn check_signer_info<'a>(
    si: &SignerInfo,
    pool: &'a [Certificate],
    content_digest: Option<&[u8]>,
) -> SignerCheck<'a> {
    let mut failures = Vec::new();
    let digest_alg = DigestAlgorithm::from_oid(&si.digest_alg.oid);
    if digest_alg.is_none() {
        failures.push(Failure::UnsupportedAlgorithm {
            algorithm: si.digest_alg.oid.to_string(),
        });
    }
    let signature_algorithm = algs::algorithm_name(&si.signature_algorithm, digest_alg);
    let cert = find_signer(&si.sid, pool);
    if cert.is_none() {
        failures.push(Failure::SignerCertificateNotFound);
    }
    let Some(signed_attrs) = &si.signed_attrs else {
        // CAdES requires signed attributes; a bare PKCS#7 signature is not acceptable here.
        failures.push(Failure::SignedAttributeMissing {
            attribute: "signedAttrs".into(),
        });
        return SignerCheck {
            cert,
            digest_alg,
            signature_algorithm,
            message_digest_ok: false,
            signature_ok: false,
            failures,
        };
    };
    if signed_attr(si, ID_CONTENT_TYPE).is_none() {
        failures.push(Failure::SignedAttributeMissing {
            attribute: "content-type".into(),
        });
    }
    let message_digest_ok = match signed_attr(si, ID_MESSAGE_DIGEST) {
        None => {
            failures.push(Failure::SignedAttributeMissing {
                attribute: "message-digest".into(),
            });
            false
        }
        Some(value) => {
            let ok = match (value.decode_as::<OctetString>(), content_digest) {
                (Ok(signed), Some(actual)) => signed.as_bytes() == actual,
                _ => false,
            };
            // With an unsupported digest the content could not be hashed: reported above.
            if !ok && digest_alg.is_some() {
                failures.push(Failure::ContentDigestMismatch);
            }
            ok
        }
    };
    let signature_ok = match (cert, signed_attrs.to_der()) {
        (Some(cert), Ok(tbs)) => match algs::verify(
            &cert.tbs_certificate.subject_public_key_info,
            &si.signature_algorithm,
            digest_alg,
            &tbs,
            si.signature.as_bytes(),
        ) {
            Ok(()) => true,
            Err(SigError::Invalid) => {
                failures.push(Failure::BadSignature);
                false
            }
            Err(SigError::Unsupported(algorithm)) => {
                failures.push(Failure::UnsupportedAlgorithm { algorithm });
                false
            }
        },
        _ => false,
    };
    SignerCheck {
        cert,
        digest_alg,
        signature_algorithm,
        message_digest_ok,
        signature_ok,
        failures,
    }
}

fn find_signer<'a>(sid: &SignerIdentifier, pool: &'a [Certificate]) -> Option<&'a Certificate> {
    pool.iter().find(|c| match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            c.tbs_certificate.serial_number == ias.serial_number
                && c.tbs_certificate.issuer == ias.issuer
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => matches!(
            c.tbs_certificate.get::<SubjectKeyIdentifier>(),
            Ok(Some((_, own))) if own == *ski
        ),
    })
}

/// The first value of a signed attribute.
fn signed_attr(si: &SignerInfo, oid: ObjectIdentifier) -> Option<&Any> {
    first_value(si.signed_attrs.as_ref()?.iter(), oid)
}

/// The first value of an unsigned attribute.
fn unsigned_attr(si: &SignerInfo, oid: ObjectIdentifier) -> Option<&Any> {
    first_value(si.unsigned_attrs.as_ref()?.iter(), oid)
}

fn first_value<'a>(
    mut attrs: impl Iterator<Item = &'a Attribute>,
    oid: ObjectIdentifier,
) -> Option<&'a Any> {
    attrs.find(|a| a.oid == oid)?.values.iter().next()
}

struct Path<'a> {
    status: ChainStatus,
    /// The certificate whose signature failed, or the unsupported algorithm.
    bad_subject: Option<String>,
    certs: Vec<&'a Certificate>,
}

/// Builds a path from `leaf` to one of `anchors` through `pool`, checking every signature.
fn build_chain<'a>(
    leaf: &'a Certificate,
    pool: &'a [Certificate],
    anchors: &'a [Certificate],
) -> Path<'a> {
    let mut certs = vec![leaf];
    let mut current = leaf;
    for _ in 0..MAX_CHAIN_DEPTH {
        if anchors.contains(current) {
            return Path {
                status: ChainStatus::Trusted,
                bad_subject: None,
                certs,
            };
        }
        let issuer = &current.tbs_certificate.issuer;
        let mut failure: Option<(ChainStatus, String)> = None;
        let mut note = |e: SigError| {
            // A bad signature is the more telling failure: keep it over "unsupported".
            let f = match e {
                SigError::Invalid => (
                    ChainStatus::InvalidCertificateSignature,
                    current.tbs_certificate.subject.to_string(),
                ),
                SigError::Unsupported(alg) => (ChainStatus::UnsupportedAlgorithm, alg),
            };
            if failure.is_none() || f.0 == ChainStatus::InvalidCertificateSignature {
                failure = Some(f);
            }
        };
        for anchor in anchors
            .iter()
            .filter(|a| a.tbs_certificate.subject == *issuer)
        {
            match check_cert_signature(current, anchor) {
                Ok(()) => {
                    certs.push(anchor);
                    return Path {
                        status: ChainStatus::Trusted,
                        bad_subject: None,
                        certs,
                    };
                }
                Err(e) => note(e),
            }
        }
        let mut next = None;
        for candidate in pool
            .iter()
            .filter(|c| c.tbs_certificate.subject == *issuer && !certs.contains(c) && is_ca(c))
        {
            match check_cert_signature(current, candidate) {
                Ok(()) => {
                    next = Some(candidate);
                    break;
                }
                Err(e) => note(e),
            }
        }
        match next {
            Some(c) => {
                certs.push(c);
                current = c;
            }
            None => {
                let (status, bad_subject) = match failure {
                    Some((s, b)) => (s, Some(b)),
                    None => (ChainStatus::Untrusted, None),
                };
                return Path {
                    status,
                    bad_subject,
                    certs,
                };
            }
        }
    }
    Path {
        status: ChainStatus::Untrusted,
        bad_subject: None,
        certs,
    }
}

fn check_cert_signature(cert: &Certificate, issuer: &Certificate) -> Result<(), SigError> {
    let tbs = cert
        .tbs_certificate
        .to_der()
        .map_err(|_| SigError::Invalid)?;
    algs::verify(
        &issuer.tbs_certificate.subject_public_key_info,
        &cert.signature_algorithm,
        None,
        &tbs,
        cert.signature.raw_bytes(),
    )
}

fn is_ca(cert: &Certificate) -> bool {
    matches!(cert.tbs_certificate.get::<BasicConstraints>(), Ok(Some((_, bc))) if bc.ca)
}

/// keyUsage, when present, must allow digitalSignature or nonRepudiation.
fn allows_signing(cert: &Certificate) -> bool {
    match cert.tbs_certificate.get::<KeyUsage>() {
        Ok(Some((_, ku))) => ku.digital_signature() || ku.non_repudiation(),
        Ok(None) => true,
        Err(_) => false,
    }
}

fn validity_failures(certs: &[&Certificate], at: DateTime<Utc>) -> Vec<Failure> {
    let mut failures = Vec::new();
    for cert in certs {
        let s = summarize(cert);
        if at > s.not_after {
            failures.push(Failure::CertificateExpiredAtSigningTime {
                subject: s.subject,
                not_after: s.not_after,
                at,
            });
        } else if at < s.not_before {
            failures.push(Failure::CertificateNotYetValid {
                subject: s.subject,
                not_before: s.not_before,
                at,
            });
        }
    }
    failures
}

/// Checks a signature time-stamp token: imprint over `signature_value`, token signature, TSA
/// certificate path and validity at genTime, timeStamping usage.
fn check_timestamp(
    value: &Any,
    signature_value: &[u8],
    outer_pool: &[Certificate],
    anchors: &[Certificate],
) -> TimestampReport {
    let mut report = TimestampReport {
        gen_time: None,
        tsa: None,
        policy: None,
        serial_hex: None,
        imprint_ok: false,
        signature_ok: false,
        chain: ChainStatus::Untrusted,
        problems: Vec::new(),
    };
    let parsed = value
        .decode_as::<ContentInfo>()
        .map_err(|e| e.to_string())
        .and_then(|ci| parse_token(&ci));
    let (sd, tst_der, tst) = match parsed {
        Ok(p) => p,
        Err(e) => {
            report.problems.push(format!("unreadable token: {e}"));
            return report;
        }
    };
    report.gen_time = to_chrono(tst.gen_time.to_unix_duration());
    report.policy = Some(tst.policy.to_string());
    report.serial_hex = Some(hex::encode(tst.serial_number.as_bytes()));
    match DigestAlgorithm::from_oid(&tst.message_imprint.hash_algorithm.oid) {
        Some(d) => {
            report.imprint_ok =
                d.hash(signature_value) == tst.message_imprint.hashed_message.as_bytes();
            if !report.imprint_ok {
                report
                    .problems
                    .push("the token covers another signature".into());
            }
        }
        None => report.problems.push(format!(
            "unsupported imprint algorithm {}",
            tst.message_imprint.hash_algorithm.oid
        )),
    }
    let mut pool = certificates(&sd);
    pool.extend(outer_pool.iter().cloned());
    let Some(si) = sd.signer_infos.0.as_slice().first() else {
        report.problems.push("the token has no signer".into());
        return report;
    };
    let digest = DigestAlgorithm::from_oid(&si.digest_alg.oid).map(|d| d.hash(&tst_der));
    let check = check_signer_info(si, &pool, digest.as_deref());
    report.signature_ok = check.signature_ok && check.message_digest_ok;
    report
        .problems
        .extend(check.failures.iter().map(|f| f.to_string()));
    if let Some(tsa) = check.cert {
        report.tsa = Some(summarize(tsa));
        let path = build_chain(tsa, &pool, anchors);
        report.chain = path.status;
        if path.status != ChainStatus::Trusted {
            report
                .problems
                .push(format!("TSA certificate chain: {:?}", path.status));
        }
        if let Some(at) = report.gen_time {
            report.problems.extend(
                validity_failures(&path.certs, at)
                    .iter()
                    .map(|f| f.to_string()),
            );
        }
        if !has_time_stamping_eku(tsa) {
            report
                .problems
                .push("the TSA certificate is not for time-stamping".into());
        }
    }
    report
}
