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
    sign_inner(signer, options, ID_DATA, None)
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
    sign_inner(signer, &options, econtent_type, Some(econtent))
}

fn sign_inner<S, Sig>(
    signer: &S,
    options: &SignDigestOptions<'_>,
    econtent_type: ObjectIdentifier,
    econtent: Option<&[u8]>,
) -> Result<Vec<u8>, Error>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    Sig: SignatureBitStringEncoding,
{
    let digest = options.digest;
    if options.content_digest.len() != digest.output_len() {
        return Err(Error::DigestLength {
            alg: digest,
            expected: digest.output_len(),
            actual: options.content_digest.len(),
        });
    }
    let signature_algorithm = signer.signature_algorithm_identifier()?;
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
    let signature = signer.try_sign(&to_be_signed).map_err(Error::Signing)?;
    let signature = signature.to_bitstring()?.raw_bytes().to_vec();
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
    for c in options.chain {
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
