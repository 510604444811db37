//! Building CAdES-BES detached signatures.
//!
//! The SignerInfo and SignedData are assembled here rather than with `cms`'s builder because
//! the builder replaces the signer's error with `der::ErrorKind::Failed`: a wrong PIN on the
//! token would surface as "DER failed". Here the signer's `signature::Error` is returned as is.

use std::time::Duration;

use chrono::{DateTime, Utc};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, DigestAlgorithmIdentifiers, EncapsulatedContentInfo, SignedAttributes,
    SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::db::rfc5911::{
    ID_AA_SIGNING_CERTIFICATE_V_2, ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNED_DATA,
    ID_SIGNING_TIME,
};
use der::asn1::{GeneralizedTime, ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Any, Encode};
use signature::{Keypair, Signer};
use spki::{AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, SignatureBitStringEncoding};
use x509_cert::attr::Attribute;
use x509_cert::time::Time;
use x509_cert::Certificate;

use crate::algs::{self, SigError};
use crate::ess::SigningCertificateV2;
use crate::{DigestAlgorithm, Error};

/// What to sign and with which certificates: the input of [`sign_detached`].
#[derive(Debug, Clone, Copy)]
pub struct SignOptions<'a> {
    /// The document's bytes (not embedded in the signature: it is detached).
    pub content: &'a [u8],
    /// The signer's certificate, matching the signer's key.
    pub signer_cert: &'a Certificate,
    /// Intermediate (and optionally root) certificates to embed for chain building.
    pub chain: &'a [Certificate],
    /// Digest for the content and the signed attributes; must be the signer's own hash.
    pub digest: DigestAlgorithm,
    /// The claimed signing time (signing-time attribute).
    pub signing_time: DateTime<Utc>,
}

/// Like [`SignOptions`] with a precomputed content digest: the input of [`sign_digest`].
#[derive(Debug, Clone, Copy)]
pub struct SignDigestOptions<'a> {
    /// The content's digest under `digest` (see [`crate::digest_reader`]).
    pub content_digest: &'a [u8],
    /// The signer's certificate, matching the signer's key.
    pub signer_cert: &'a Certificate,
    /// Intermediate (and optionally root) certificates to embed for chain building.
    pub chain: &'a [Certificate],
    /// Digest algorithm of `content_digest`; must be the signer's own hash.
    pub digest: DigestAlgorithm,
    /// The claimed signing time (signing-time attribute).
    pub signing_time: DateTime<Utc>,
}

/// Signs `options.content` and returns a DER CMS ContentInfo (CAdES-BES, detached).
pub fn sign_detached<S, Sig>(signer: &S, options: &SignOptions<'_>) -> Result<Vec<u8>, Error>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    Sig: SignatureBitStringEncoding,
{
    let digest = options.digest.hash(options.content);
    sign_digest(
        signer,
        &SignDigestOptions {
            content_digest: &digest,
            signer_cert: options.signer_cert,
            chain: options.chain,
            digest: options.digest,
            signing_time: options.signing_time,
        },
    )
}

/// Signs a precomputed content digest (for large files) and returns a DER CMS ContentInfo.
pub fn sign_digest<S, Sig>(signer: &S, options: &SignDigestOptions<'_>) -> Result<Vec<u8>, Error>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    Sig: SignatureBitStringEncoding,
{
    let prepared = prepare(signer.signature_algorithm_identifier()?, options, ID_DATA)?;
    let signature = sign_prepared(signer, &prepared)?;
    finish(
        prepared,
        signature,
        options.signer_cert,
        options.chain,
        None,
    )
}

/// Signs `econtent` of type `econtent_type` and embeds it (an attached signature), e.g. a
/// TSTInfo (id-ct-TSTInfo) to make an RFC 3161 time-stamp token; `options.content_digest` is
/// ignored and recomputed over `econtent`.
pub fn sign_encapsulated<S, Sig>(
    signer: &S,
    options: &SignDigestOptions<'_>,
    econtent_type: ObjectIdentifier,
    econtent: &[u8],
) -> Result<Vec<u8>, Error>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    Sig: SignatureBitStringEncoding,
{
    let digest = options.digest.hash(econtent);
    let options = SignDigestOptions {
        content_digest: &digest,
        ..*options
    };
    let prepared = prepare(
        signer.signature_algorithm_identifier()?,
        &options,
        econtent_type,
    )?;
    let signature = sign_prepared(signer, &prepared)?;
    finish(
        prepared,
        signature,
        options.signer_cert,
        options.chain,
        Some(econtent),
    )
}

/// One document of a batch: its bytes and the signing time to claim.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    /// The document's bytes.
    pub content: &'a [u8],
    /// The claimed signing time.
    pub signing_time: DateTime<Utc>,
}

/// A signer that can be told how many messages it is about to sign in a row, so that it finds
/// its key once and gets each signature ready while the message is still being prepared (a
/// token key: the key looked up and the user logged in once per run, each operation started —
/// with its own PIN entry for an always-authenticate key — while the document is hashed).
/// Used by [`sign_detached_run`].
pub trait RunSigner<Sig> {
    /// A run of signatures.
    type Run<'a>: SignerRun<Sig>
    where
        Self: 'a;
    /// Starts a run of `count` signatures; dropping the run early cancels what is left.
    fn begin_run(&self, count: usize) -> Self::Run<'_>;
}

/// One run of a [`RunSigner`]: its messages, signed in order.
pub trait SignerRun<Sig> {
    /// Signs the next message of the run.
    fn sign_next(&mut self, msg: &[u8]) -> Result<Sig, signature::Error>;
}

/// Signs many documents with one signer, as a pipeline: while the signer (a token, the slow
/// part) signs document *n*, another thread hashes document *n + 1* and builds its signed
/// attributes, and a third checks and encodes document *n − 1*. Results come back in input
/// order, one per item; a failed item does not stop the others unless the signer itself fails
/// (a token error — wrong PIN, key removed — ends the batch: the remaining items get the same
/// error, so nothing is half-signed silently).
pub fn sign_detached_batch<S, Sig>(
    signer: &S,
    signer_cert: &Certificate,
    chain: &[Certificate],
    digest: DigestAlgorithm,
    items: &[BatchItem<'_>],
) -> Vec<Result<Vec<u8>, Error>>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    Sig: SignatureBitStringEncoding,
{
    let batch = Batch {
        signer_cert,
        chain,
        digest,
        items,
    };
    match signer.signature_algorithm_identifier() {
        Ok(algorithm) => batch.run(algorithm, |p| sign_prepared(signer, p)),
        Err(e) => items.iter().map(|_| Err(Error::from(e))).collect(),
    }
}

/// Like [`sign_detached_batch`], with a signer that signs the whole batch as one run (see
/// [`RunSigner`]): what a token key needs to keep pace with the token. A single item is signed
/// on the calling thread, its hashing overlapping the token's preparation.
pub fn sign_detached_run<S, Sig>(
    signer: &S,
    signer_cert: &Certificate,
    chain: &[Certificate],
    digest: DigestAlgorithm,
    items: &[BatchItem<'_>],
) -> Vec<Result<Vec<u8>, Error>>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + RunSigner<Sig>,
    Sig: SignatureBitStringEncoding,
{
    let batch = Batch {
        signer_cert,
        chain,
        digest,
        items,
    };
    match signer.signature_algorithm_identifier() {
        Ok(algorithm) => {
            let mut run = signer.begin_run(items.len());
            batch.run(algorithm, |p| {
                let signature = run.sign_next(&p.to_be_signed).map_err(Error::Signing)?;
                Ok(signature.to_bitstring()?.raw_bytes().to_vec())
            })
        }
        Err(e) => items.iter().map(|_| Err(Error::from(e))).collect(),
    }
}

/// The documents of a batch and what every signature of it shares.
struct Batch<'a, 'b> {
    signer_cert: &'a Certificate,
    chain: &'a [Certificate],
    digest: DigestAlgorithm,
    items: &'a [BatchItem<'b>],
}

impl Batch<'_, '_> {
    /// Item `item` hashed, its signed attributes built.
    fn prepare(
        &self,
        algorithm: &AlgorithmIdentifierOwned,
        item: &BatchItem<'_>,
    ) -> Result<Prepared, Error> {
        let content_digest = self.digest.hash(item.content);
        prepare(
            algorithm.clone(),
            &SignDigestOptions {
                content_digest: &content_digest,
                signer_cert: self.signer_cert,
                chain: self.chain,
                digest: self.digest,
                signing_time: item.signing_time,
            },
            ID_DATA,
        )
    }

    /// Prepares, signs with `sign` (always on the calling thread, in input order) and finishes
    /// every item; a pipeline of three threads when there are several.
    fn run(
        &self,
        algorithm: AlgorithmIdentifierOwned,
        mut sign: impl FnMut(&Prepared) -> Result<Vec<u8>, Error>,
    ) -> Vec<Result<Vec<u8>, Error>> {
        let (signer_cert, chain) = (self.signer_cert, self.chain);
        if let [item] = self.items {
            return vec![self.prepare(&algorithm, item).and_then(|p| {
                let signature = sign(&p)?;
                finish(p, signature, signer_cert, chain, None)
            })];
        }
        let mut results: Vec<Option<Result<Vec<u8>, Error>>> =
            (0..self.items.len()).map(|_| None).collect();
        std::thread::scope(|scope| {
            // Small bounded queues: enough to overlap the stages without holding many documents.
            let (prep_tx, prep_rx) =
                std::sync::mpsc::sync_channel::<(usize, Result<Prepared, Error>)>(2);
            let (done_tx, done_rx) =
                std::sync::mpsc::sync_channel::<(usize, Result<(Prepared, Vec<u8>), Error>)>(2);
            let algorithm = &algorithm;
            scope.spawn(move || {
                for (i, item) in self.items.iter().enumerate() {
                    if prep_tx.send((i, self.prepare(algorithm, item))).is_err() {
                        return;
                    }
                }
            });
            let finisher = scope.spawn(move || {
                let mut out = Vec::new();
                for (i, signed) in done_rx {
                    out.push((
                        i,
                        signed.and_then(|(p, sig)| finish(p, sig, signer_cert, chain, None)),
                    ));
                }
                out
            });
            let mut fatal: Option<String> = None;
            for (i, prepared) in prep_rx {
                let signed = match (prepared, &fatal) {
                    (Err(e), _) => Err(e),
                    (Ok(_), Some(reason)) => Err(Error::BatchAborted(reason.clone())),
                    (Ok(p), None) => match sign(&p) {
                        Ok(sig) => Ok((p, sig)),
                        Err(e) => {
                            fatal = Some(e.to_string());
                            Err(e)
                        }
                    },
                };
                if done_tx.send((i, signed)).is_err() {
                    break;
                }
            }
            drop(done_tx);
            if let Ok(done) = finisher.join() {
                for (i, r) in done {
                    if let Some(slot) = results.get_mut(i) {
                        *slot = Some(r);
                    }
                }
            }
        });
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::BatchAborted("internal stage stopped".into()))))
            .collect()
    }
}

/// Everything about a SignerInfo except its signature value.
struct Prepared {
    econtent_type: ObjectIdentifier,
    signed_attrs: SignedAttributes,
    to_be_signed: Vec<u8>,
    signature_algorithm: AlgorithmIdentifierOwned,
    digest: DigestAlgorithm,
}

/// Checks the options and builds the signed attributes and the bytes to sign.
fn prepare(
    signature_algorithm: AlgorithmIdentifierOwned,
    options: &SignDigestOptions<'_>,
    econtent_type: ObjectIdentifier,
) -> Result<Prepared, Error> {
    let digest = options.digest;
    if options.content_digest.len() != digest.output_len() {
        return Err(Error::DigestLength {
            alg: digest,
            expected: digest.output_len(),
            actual: options.content_digest.len(),
        });
    }
    // OpenSSL hashes the signed attributes with the SignerInfo's digestAlgorithm: a signer
    // hashing with another algorithm would produce a signature nobody can verify.
    if let Some(implied) = algs::implied_digest(&signature_algorithm) {
        if implied != digest {
            return Err(Error::DigestMismatch {
                requested: digest,
                signer: implied,
            });
        }
    }
    let cert = options.signer_cert;
    let signed_attrs = SignedAttributes::try_from(vec![
        attribute(ID_CONTENT_TYPE, Any::encode_from(&econtent_type)?)?,
        attribute(
            ID_SIGNING_TIME,
            Any::encode_from(&der_time(options.signing_time)?)?,
        )?,
        attribute(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(options.content_digest)?)?,
        )?,
        attribute(
            ID_AA_SIGNING_CERTIFICATE_V_2,
            Any::encode_from(&SigningCertificateV2::for_certificate(cert)?)?,
        )?,
    ])?;
    // The signature covers the DER of the SET OF (tag 0x31), not the [0] IMPLICIT form that
    // ends up in the SignerInfo; SetOfVec keeps the elements in DER order.
    let to_be_signed = signed_attrs.to_der()?;
    Ok(Prepared {
        econtent_type,
        signed_attrs,
        to_be_signed,
        signature_algorithm,
        digest,
    })
}

/// The signer's part: the only step that talks to the token.
fn sign_prepared<S, Sig>(signer: &S, prepared: &Prepared) -> Result<Vec<u8>, Error>
where
    S: Signer<Sig>,
    Sig: SignatureBitStringEncoding,
{
    let signature = signer
        .try_sign(&prepared.to_be_signed)
        .map_err(Error::Signing)?;
    Ok(signature.to_bitstring()?.raw_bytes().to_vec())
}

/// Checks the signature against the certificate and encodes the ContentInfo, embedding
/// `econtent` for an attached signature.
fn finish(
    prepared: Prepared,
    signature: Vec<u8>,
    cert: &Certificate,
    chain: &[Certificate],
    econtent: Option<&[u8]>,
) -> Result<Vec<u8>, Error> {
    let Prepared {
        econtent_type,
        signed_attrs,
        to_be_signed,
        signature_algorithm,
        digest,
    } = prepared;
    // A token may hold several keys: catch a key/certificate mix-up now, not at the recipient.
    match algs::verify(
        &cert.tbs_certificate.subject_public_key_info,
        &signature_algorithm,
        Some(digest),
        &to_be_signed,
        &signature,
    ) {
        Err(SigError::Invalid) => return Err(Error::KeyCertificateMismatch),
        Ok(()) | Err(SigError::Unsupported(_)) => {}
    }

    let digest_alg = AlgorithmIdentifierOwned {
        oid: digest.oid(),
        parameters: None,
    };
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate.issuer.clone(),
            serial_number: cert.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: digest_alg.clone(),
        signed_attrs: Some(signed_attrs),
        signature_algorithm,
        signature: OctetString::new(signature)?,
        unsigned_attrs: None,
    };
    let mut certs = vec![CertificateChoices::Certificate(cert.clone())];
    for c in chain {
        if c != cert {
            certs.push(CertificateChoices::Certificate(c.clone()));
        }
    }
    let signed_data = SignedData {
        // RFC 5652 § 5.1: version 3 when the encapsulated content is not id-data.
        version: if econtent_type == ID_DATA {
            CmsVersion::V1
        } else {
            CmsVersion::V3
        },
        digest_algorithms: DigestAlgorithmIdentifiers::try_from(vec![digest_alg])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type,
            econtent: econtent
                .map(|c| Any::encode_from(&OctetString::new(c)?))
                .transpose()?,
        },
        certificates: Some(CertificateSet::try_from(certs)?),
        crls: None,
        signer_infos: SignerInfos::try_from(vec![signer_info])?,
    };
    content_info(&signed_data)
}

/// Wraps SignedData into its ContentInfo and encodes it.
pub(crate) fn content_info(signed_data: &SignedData) -> Result<Vec<u8>, Error> {
    Ok(ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(signed_data)?,
    }
    .to_der()?)
}

/// An attribute with a single value.
pub(crate) fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, Error> {
    let mut values = SetOfVec::new();
    values.insert(value)?;
    Ok(Attribute { oid, values })
}

/// RFC 5652 § 11.3: UTCTime from 1950 to 2049, GeneralizedTime otherwise (whole seconds).
fn der_time(t: DateTime<Utc>) -> Result<Time, Error> {
    let secs = u64::try_from(t.timestamp())
        .map_err(|_| Error::Encoding("signing time before 1970".into()))?;
    let dt = der::DateTime::from_unix_duration(Duration::from_secs(secs))?;
    Ok(if (1950..2050).contains(&dt.year()) {
        Time::UtcTime(UtcTime::from_date_time(dt)?)
    } else {
        Time::GeneralTime(GeneralizedTime::from_date_time(dt))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn signing_time_uses_utctime_until_2049_then_generalizedtime() {
        let t = Utc.with_ymd_and_hms(2049, 12, 31, 23, 59, 59).unwrap();
        assert!(matches!(der_time(t).unwrap(), Time::UtcTime(_)));
        let t = Utc.with_ymd_and_hms(2050, 1, 1, 0, 0, 0).unwrap();
        assert!(matches!(der_time(t).unwrap(), Time::GeneralTime(_)));
        let t = Utc.with_ymd_and_hms(1969, 1, 1, 0, 0, 0).unwrap();
        assert!(der_time(t).is_err());
    }
}
