//! Test PKI made with rcgen: a CA that issues signature, authentication, time-stamping and server
//! certificates with the key types a qualified-signature token carries (RSA 2048–4096, EC P-256,
//! EC P-384).
//!
//! Certificates are meant to be accepted by `openssl verify` and `openssl cms -verify`, so that
//! OpenSSL can serve as an independent oracle in tests.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rand_core::{OsRng, RngCore};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
    SignatureAlgorithm,
};
use time::{Duration, OffsetDateTime};

/// X.520 givenName (2.5.4.42).
const OID_GIVEN_NAME: &[u64] = &[2, 5, 4, 42];
/// X.520 surname (2.5.4.4).
const OID_SURNAME: &[u64] = &[2, 5, 4, 4];
/// X.520 title (2.5.4.12): the holder's function, e.g. "Commissaire de justice".
const OID_TITLE: &[u64] = &[2, 5, 4, 12];
/// `id-pe-qcStatements` (RFC 3739).
const OID_QC_STATEMENTS: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 3];
/// QCStatements: QcCompliance (0.4.0.1862.1.1) and QcSSCD (0.4.0.1862.1.4), ETSI EN 319 412-5.
const QC_STATEMENTS_DER: [u8; 22] = [
    0x30, 0x14, 0x30, 0x08, 0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x01, 0x30, 0x08, 0x06, 0x06,
    0x04, 0x00, 0x8e, 0x46, 0x01, 0x04,
];
/// extKeyUsage (2.5.29.37).
const OID_EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
/// DER of `SEQUENCE { id-kp-timeStamping }` (1.3.6.1.5.5.7.3.8).
const EKU_TIME_STAMPING_DER: &[u8] = &[
    0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08,
];

/// The kind and size of a key pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    /// RSA with the given modulus size in bits (2048, 3072 or 4096).
    Rsa(usize),
    /// ECDSA on NIST P-256.
    EcP256,
    /// ECDSA on NIST P-384.
    EcP384,
}

impl KeySpec {
    /// The rcgen algorithm used when this key signs certificates (hash sized to the key).
    fn rcgen_alg(self) -> &'static SignatureAlgorithm {
        match self {
            KeySpec::Rsa(bits) if bits >= 4096 => &rcgen::PKCS_RSA_SHA512,
            KeySpec::Rsa(bits) if bits >= 3072 => &rcgen::PKCS_RSA_SHA384,
            KeySpec::Rsa(_) => &rcgen::PKCS_RSA_SHA256,
            KeySpec::EcP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeySpec::EcP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        }
    }
}

/// What a certificate is for: decides key usage, extended key usage and basic constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// A certification authority (keyCertSign, cRLSign, basicConstraints cA).
    Ca,
    /// A signature certificate: keyUsage nonRepudiation (critical) and digitalSignature.
    Signature,
    /// An authentication certificate: keyUsage digitalSignature, EKU clientAuth.
    Authentication,
    /// A time-stamping unit: keyUsage digitalSignature + nonRepudiation, EKU timeStamping
    /// marked critical (RFC 3161 § 2.3 requires it, and `openssl ts` checks it).
    TimeStamping,
    /// A TLS server: keyUsage digitalSignature + keyEncipherment, EKU serverAuth, the common
    /// name repeated as a subjectAltName.
    Server,
}

/// What to put in a certificate issued by [`TestCa::issue`].
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// Subject common name (CN).
    pub common_name: String,
    /// Subject givenName, if any.
    pub given_name: Option<String>,
    /// Subject surname, if any.
    pub surname: Option<String>,
    /// Subject X.520 title (2.5.4.12): the holder's function, e.g. "Commissaire de justice".
    pub title: Option<String>,
    /// Subject organization (O), if any; C=FR is added whenever it is given.
    pub organization: Option<String>,
    /// The key to generate for the subject.
    pub key: KeySpec,
    /// What the certificate is for.
    pub profile: Profile,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
}

impl IssueRequest {
    /// A request with only a common name, valid from one day ago to two years from now.
    pub fn new(common_name: &str, key: KeySpec, profile: Profile) -> Self {
        let now = OffsetDateTime::now_utc();
        IssueRequest {
            common_name: common_name.to_owned(),
            given_name: None,
            surname: None,
            title: None,
            organization: None,
            key,
            profile,
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(730),
        }
    }

    fn distinguished_name(&self) -> DistinguishedName {
        let mut dn = DistinguishedName::new();
        if self.organization.is_some() {
            dn.push(DnType::CountryName, "FR");
        }
        if let Some(o) = &self.organization {
            dn.push(DnType::OrganizationName, o.as_str());
        }
        if let Some(t) = &self.title {
            dn.push(DnType::CustomDnType(OID_TITLE.to_vec()), t.as_str());
        }
        if let Some(s) = &self.surname {
            dn.push(DnType::CustomDnType(OID_SURNAME.to_vec()), s.as_str());
        }
        if let Some(g) = &self.given_name {
            dn.push(DnType::CustomDnType(OID_GIVEN_NAME.to_vec()), g.as_str());
        }
        dn.push(DnType::CommonName, self.common_name.as_str());
        dn
    }

    fn params(&self) -> anyhow::Result<CertificateParams> {
        let mut params = CertificateParams::default();
        params.distinguished_name = self.distinguished_name();
        params.not_before = self.not_before;
        params.not_after = self.not_after;
        params.serial_number = Some(random_serial());
        params.use_authority_key_identifier_extension = true;
        match self.profile {
            Profile::Ca => {
                params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
                params.key_usages = vec![
                    KeyUsagePurpose::KeyCertSign,
                    KeyUsagePurpose::CrlSign,
                    KeyUsagePurpose::DigitalSignature,
                ];
            }
            Profile::Signature => {
                params.key_usages = vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::ContentCommitment,
                ];
                // A qualified certificate's statements, as on a Certeurope "Class 3+" key.
                params
                    .custom_extensions
                    .push(CustomExtension::from_oid_content(
                        OID_QC_STATEMENTS,
                        QC_STATEMENTS_DER.to_vec(),
                    ));
            }
            Profile::Authentication => {
                params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            }
            Profile::TimeStamping => {
                params.key_usages = vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::ContentCommitment,
                ];
                // rcgen always writes extKeyUsage non-critical; RFC 3161 wants it critical.
                let mut eku = CustomExtension::from_oid_content(
                    OID_EXT_KEY_USAGE,
                    EKU_TIME_STAMPING_DER.to_vec(),
                );
                eku.set_criticality(true);
                params.custom_extensions.push(eku);
            }
            Profile::Server => {
                params.key_usages = vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::KeyEncipherment,
                ];
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
                let san = match self.common_name.parse::<std::net::IpAddr>() {
                    Ok(ip) => SanType::IpAddress(ip),
                    Err(_) => SanType::DnsName(
                        self.common_name
                            .clone()
                            .try_into()
                            .context("server common name is not a DNS name")?,
                    ),
                };
                params.subject_alt_names = vec![san];
            }
        }
        Ok(params)
    }
}

/// A key pair and its certificate.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The kind of key.
    pub key_spec: KeySpec,
    /// The private key, PKCS#8 DER (unencrypted: test material only).
    pub key_pkcs8_der: Vec<u8>,
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
}

impl Identity {
    /// The certificate as PEM.
    pub fn cert_pem(&self) -> String {
        pem("CERTIFICATE", &self.cert_der)
    }

    /// The private key as PKCS#8 PEM ("PRIVATE KEY").
    pub fn key_pem(&self) -> String {
        pem("PRIVATE KEY", &self.key_pkcs8_der)
    }

    /// Writes `DIR/STEM.crt.pem` and `DIR/STEM.key.pem`; returns (certificate path, key path).
    pub fn write_pem(&self, dir: &Path, stem: &str) -> anyhow::Result<(PathBuf, PathBuf)> {
        let cert = dir.join(format!("{stem}.crt.pem"));
        let key = dir.join(format!("{stem}.key.pem"));
        std::fs::write(&cert, self.cert_pem())
            .with_context(|| format!("writing {}", cert.display()))?;
        std::fs::write(&key, self.key_pem())
            .with_context(|| format!("writing {}", key.display()))?;
        Ok((cert, key))
    }

    /// The certificate's serial number in lower-case hex (as `openssl x509 -serial`, lowered).
    pub fn serial_hex(&self) -> String {
        use der::Decode;
        match x509_cert::Certificate::from_der(&self.cert_der) {
            Ok(c) => hex::encode(c.tbs_certificate.serial_number.as_bytes()),
            Err(_) => String::new(),
        }
    }

    /// The certificate parsed with `x509-cert`.
    pub fn certificate(&self) -> anyhow::Result<x509_cert::Certificate> {
        use der::Decode;
        x509_cert::Certificate::from_der(&self.cert_der).context("parsing test certificate")
    }
}

/// A self-signed test certification authority.
pub struct TestCa {
    /// The CA's own key and self-signed certificate.
    pub identity: Identity,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl TestCa {
    /// Creates a CA named `name` (CN=name, O=Sceau PKI de test, C=FR), valid ten years.
    pub fn new(name: &str, key: KeySpec) -> anyhow::Result<Self> {
        let now = OffsetDateTime::now_utc();
        let req = IssueRequest {
            organization: Some("Sceau PKI de test".to_owned()),
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(3650),
            ..IssueRequest::new(name, key, Profile::Ca)
        };
        let mut params = req.params()?;
        // A self-signed certificate has no other authority to point to.
        params.use_authority_key_identifier_extension = false;
        let key_pkcs8_der = generate_key(key)?;
        let key_pair = key_pair(key, &key_pkcs8_der)?;
        let cert = params
            .self_signed(&key_pair)
            .context("self-signing CA certificate")?;
        Ok(TestCa {
            identity: Identity {
                key_spec: key,
                key_pkcs8_der,
                cert_der: cert.der().to_vec(),
            },
            issuer: Issuer::new(params, key_pair),
        })
    }

    /// A certificate revocation list (DER) signed by this CA, revoking the certificates of
    /// `serials_hex` (lower-case hex, as [`Identity::serial_hex`]); `number` is its CRL number.
    pub fn crl(&self, serials_hex: &[String], number: u64) -> anyhow::Result<Vec<u8>> {
        let now = OffsetDateTime::now_utc();
        let revoked_certs = serials_hex
            .iter()
            .map(|s| {
                Ok(rcgen::RevokedCertParams {
                    serial_number: rcgen::SerialNumber::from_slice(
                        &hex::decode(s).context("serial in hex")?,
                    ),
                    revocation_time: now - Duration::minutes(1),
                    reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let params = rcgen::CertificateRevocationListParams {
            this_update: now - Duration::minutes(1),
            next_update: now + Duration::days(7),
            crl_number: rcgen::SerialNumber::from(number),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        Ok(params
            .signed_by(&self.issuer)
            .context("signing the CRL")?
            .der()
            .to_vec())
    }

    /// Creates an intermediate CA signed by this one (for tests of path building).
    pub fn intermediate(&self, name: &str, key: KeySpec) -> anyhow::Result<TestCa> {
        let req = IssueRequest {
            organization: Some("Sceau PKI de test".to_owned()),
            ..IssueRequest::new(name, key, Profile::Ca)
        };
        let params = req.params()?;
        let key_pkcs8_der = generate_key(key)?;
        let key_pair = key_pair(key, &key_pkcs8_der)?;
        let cert = params
            .signed_by(&key_pair, &self.issuer)
            .context("issuing intermediate CA certificate")?;
        Ok(TestCa {
            identity: Identity {
                key_spec: key,
                key_pkcs8_der,
                cert_der: cert.der().to_vec(),
            },
            issuer: Issuer::new(params, key_pair),
        })
    }

    /// Issues a certificate for a new key as described by `req`.
    pub fn issue(&self, req: &IssueRequest) -> anyhow::Result<Identity> {
        if req.not_after <= req.not_before {
            bail!("not_after must be after not_before");
        }
        let params = req.params()?;
        let key_pkcs8_der = generate_key(req.key)?;
        let subject_key = key_pair(req.key, &key_pkcs8_der)?;
        let cert = params
            .signed_by(&subject_key, &self.issuer)
            .with_context(|| format!("issuing certificate for {}", req.common_name))?;
        Ok(Identity {
            key_spec: req.key,
            key_pkcs8_der,
            cert_der: cert.der().to_vec(),
        })
    }
}

/// Generates a private key and returns it as PKCS#8 DER.
pub fn generate_key(spec: KeySpec) -> anyhow::Result<Vec<u8>> {
    match spec {
        KeySpec::Rsa(bits) => {
            use rsa::pkcs8::EncodePrivateKey;
            if !matches!(bits, 2048 | 3072 | 4096) {
                bail!("unsupported RSA size {bits} (2048, 3072 or 4096)");
            }
            let key = rsa::RsaPrivateKey::new(&mut OsRng, bits).context("generating RSA key")?;
            Ok(key
                .to_pkcs8_der()
                .context("encoding RSA key")?
                .as_bytes()
                .to_vec())
        }
        KeySpec::EcP256 | KeySpec::EcP384 => {
            let kp = KeyPair::generate_for(spec.rcgen_alg()).context("generating EC key")?;
            Ok(kp.serialize_der())
        }
    }
}

fn key_pair(spec: KeySpec, pkcs8: &[u8]) -> anyhow::Result<KeyPair> {
    KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8.into(), spec.rcgen_alg())
        .context("loading key into rcgen")
}

/// A positive 16-byte serial: top bit clear (positive), next bit set (exactly 16 bytes in DER).
fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::from_slice(&bytes)
}

fn pem(label: &str, der: &[u8]) -> String {
    // Encoding into a String cannot fail for a valid label; fall back to empty just in case.
    der::pem::encode_string(label, der::pem::LineEnding::LF, der).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::process::Command;

    fn openssl_verify(dir: &Path, ca: &Identity, leaf: &Identity, purpose: &str) -> String {
        let (ca_pem, _) = ca.write_pem(dir, "ca").unwrap();
        let (leaf_pem, _) = leaf.write_pem(dir, "leaf").unwrap();
        let out = Command::new("openssl")
            .args(["verify", "-purpose", purpose, "-CAfile"])
            .arg(&ca_pem)
            .arg(&leaf_pem)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl verify failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn ec_chain_verifies_with_openssl_and_has_requested_subject() {
        let dir = tempfile::tempdir().unwrap();
        let ca = TestCa::new("AC de test", KeySpec::EcP384).unwrap();
        let req = IssueRequest {
            given_name: Some("Jeanne".into()),
            surname: Some("Huissier".into()),
            title: Some("Commissaire de justice".into()),
            organization: Some("Étude Huissier & Associés".into()),
            ..IssueRequest::new("Jeanne Huissier", KeySpec::EcP256, Profile::Signature)
        };
        let leaf = ca.issue(&req).unwrap();
        openssl_verify(dir.path(), &ca.identity, &leaf, "any");
        let text = Command::new("openssl")
            .args(["x509", "-noout", "-text", "-nameopt", "utf8", "-in"])
            .arg(dir.path().join("leaf.crt.pem"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout).replace(" = ", "=");
        assert!(text.contains("title=Commissaire de justice"), "{text}");
        assert!(text.contains("GN=Jeanne"), "{text}");
        assert!(text.contains("SN=Huissier"), "{text}");
        assert!(text.contains("O=Étude Huissier & Associés"), "{text}");
        assert!(text.contains("C=FR"), "{text}");
        assert!(text.contains("Non Repudiation"), "{text}");
        assert_eq!(leaf.serial_hex().len(), 32);
    }

    #[test]
    fn rsa_ca_issues_timestamping_and_server_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let ca = TestCa::new("AC RSA", KeySpec::Rsa(2048)).unwrap();
        let tsa = ca
            .issue(&IssueRequest::new(
                "TSA",
                KeySpec::Rsa(2048),
                Profile::TimeStamping,
            ))
            .unwrap();
        openssl_verify(dir.path(), &ca.identity, &tsa, "timestampsign");
        let server = ca
            .issue(&IssueRequest::new(
                "localhost",
                KeySpec::EcP256,
                Profile::Server,
            ))
            .unwrap();
        openssl_verify(dir.path(), &ca.identity, &server, "sslserver");
        let auth = ca
            .issue(&IssueRequest::new(
                "Jeanne",
                KeySpec::EcP384,
                Profile::Authentication,
            ))
            .unwrap();
        openssl_verify(dir.path(), &ca.identity, &auth, "sslclient");
    }

    #[test]
    fn key_pem_is_readable_by_openssl() {
        let dir = tempfile::tempdir().unwrap();
        let ca = TestCa::new("AC", KeySpec::EcP256).unwrap();
        let (_, key) = ca.identity.write_pem(dir.path(), "ca").unwrap();
        let out = Command::new("openssl")
            .args(["pkey", "-noout", "-in"])
            .arg(key)
            .output()
            .unwrap();
        assert!(out.status.success());
    }

    #[test]
    fn rejects_unsupported_rsa_size() {
        assert!(generate_key(KeySpec::Rsa(1024)).is_err());
    }
}
