//! ESS signing-certificate-v2 (RFC 5035), which binds the signer certificate into the signed
//! attributes so that it cannot be swapped. `cms` 0.2 only has its OID, so the types live here.

use der::asn1::{BitString, OctetString};
use der::{Decode, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::{GeneralName, GeneralNames};
use x509_cert::serial_number::SerialNumber;
use x509_cert::Certificate;

use crate::DigestAlgorithm;

/// `SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies ... OPTIONAL }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
    /// Policy information is not used by Sceau; kept opaque so that foreign files still parse.
    #[asn1(optional = "true")]
    pub policies: Option<Vec<der::Any>>,
}

/// `ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT id-sha256, certHash, issuerSerial OPTIONAL }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertIdV2 {
    /// Absent means SHA-256: DER forbids encoding a DEFAULT value.
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    pub cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// `IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber, issuerUID OPTIONAL }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct IssuerSerial {
    pub issuer: GeneralNames,
    pub serial_number: SerialNumber,
    #[asn1(optional = "true")]
    pub issuer_uid: Option<BitString>,
}

impl SigningCertificateV2 {
    /// The attribute value naming `cert` by its SHA-256 hash and issuer/serial.
    pub fn for_certificate(cert: &Certificate) -> der::Result<Self> {
        Ok(SigningCertificateV2 {
            certs: vec![EssCertIdV2 {
                hash_algorithm: None,
                cert_hash: OctetString::new(DigestAlgorithm::Sha256.hash(&cert.to_der()?))?,
                issuer_serial: Some(IssuerSerial {
                    issuer: vec![GeneralName::DirectoryName(
                        cert.tbs_certificate.issuer.clone(),
                    )],
                    serial_number: cert.tbs_certificate.serial_number.clone(),
                    issuer_uid: None,
                }),
            }],
            policies: None,
        })
    }

    /// Whether the first ESSCertIDv2 (the signer's, per RFC 5035) designates `cert`.
    /// `None` when its hash algorithm is not one we implement.
    pub fn matches(&self, cert: &Certificate) -> Option<bool> {
        let Some(id) = self.certs.first() else {
            return Some(false);
        };
        let alg = match &id.hash_algorithm {
            None => DigestAlgorithm::Sha256,
            Some(a) => DigestAlgorithm::from_oid(&a.oid)?,
        };
        let cert_der = cert.to_der().ok()?;
        if alg.hash(&cert_der) != id.cert_hash.as_bytes() {
            return Some(false);
        }
        Some(match &id.issuer_serial {
            None => true,
            Some(is) => {
                is.serial_number == cert.tbs_certificate.serial_number
                    && is.issuer.iter().any(|g| {
                        matches!(g, GeneralName::DirectoryName(n) if *n == cert.tbs_certificate.issuer)
                    })
            }
        })
    }

    /// Decodes the attribute value.
    pub fn from_any(value: &der::Any) -> der::Result<Self> {
        Self::from_der(&value.to_der()?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sceau_testsupport::pki::{KeySpec, TestCa};

    #[test]
    fn encodes_without_the_default_hash_and_matches_only_its_certificate() {
        let ca = TestCa::new("AC", KeySpec::EcP256).unwrap();
        let cert = ca.identity.certificate().unwrap();
        let other = TestCa::new("AC", KeySpec::EcP256)
            .unwrap()
            .identity
            .certificate()
            .unwrap();
        let attr = SigningCertificateV2::for_certificate(&cert).unwrap();
        let der = attr.to_der().unwrap();
        let decoded = SigningCertificateV2::from_der(&der).unwrap();
        assert_eq!(decoded, attr);
        // DER: the DEFAULT SHA-256 AlgorithmIdentifier must not be encoded.
        assert!(decoded.certs[0].hash_algorithm.is_none());
        assert_eq!(decoded.matches(&cert), Some(true));
        assert_eq!(decoded.matches(&other), Some(false));
    }
}
