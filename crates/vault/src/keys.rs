//! The vault's own keys: `init` makes a small vault CA, a TLS server certificate, a sealing
//! certificate (for attestations, detached CMS) and a time-stamping unit (RFC 3161); `serve`
//! loads them. Keys are EC P-256, in memory, signed through `sceau-cades`.

use std::path::Path;

use chrono::{DateTime, Utc};
use der::asn1::{GeneralizedTime, Int, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use rand_core::{OsRng, RngCore};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use sceau_cades::{
    sign_detached, sign_encapsulated, DigestAlgorithm, SignDigestOptions, SignOptions,
};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use crate::error::{config, crypto, file_error, Error, Result};

/// id-ct-TSTInfo.
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// The vault TSA's policy (a private arc; the policy text is in the operator's documentation).
pub const TSA_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1.1");
/// DER of `SEQUENCE { id-kp-timeStamping }`.
const EKU_TIME_STAMPING_DER: &[u8] = &[
    0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08,
];

/// File names inside the data directory.
pub mod files {
    /// Vault CA certificate (trust anchor for seal, TSA and TLS server).
    pub const CA_CERT: &str = "vault-ca.crt.pem";
    /// TLS server certificate.
    pub const SERVER_CERT: &str = "server.crt.pem";
    /// TLS server key.
    pub const SERVER_KEY: &str = "server.key.pem";
    /// Sealing certificate.
    pub const SEAL_CERT: &str = "seal.crt.pem";
    /// Sealing key.
    pub const SEAL_KEY: &str = "seal.key.pem";
    /// Time-stamping unit certificate.
    pub const TSA_CERT: &str = "tsa.crt.pem";
    /// Time-stamping unit key.
    pub const TSA_KEY: &str = "tsa.key.pem";
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FR");
    dn.push(DnType::OrganizationName, "Coffre Sceau");
    dn.push(DnType::CommonName, cn);
    dn
}

/// Keys and certificates are created 0600 from the start (never readable, even briefly).
fn write_private(path: &Path, pem: &str) -> Result<()> {
    crate::datadir::write_private(path, pem.as_bytes()).map_err(config)
}

/// Creates the vault's keys and certificates in `dir`; `server_names` go into the TLS
/// certificate (DNS names or IP addresses).
pub fn init_keys(dir: &Path, server_names: &[String]) -> Result<()> {
    crate::datadir::private_dir_all(dir).map_err(config)?;
    // A directory made beforehand by the operator is closed too: it will hold the keys, the
    // database and the configuration's passwords.
    crate::datadir::restrict(dir, crate::datadir::DIR_MODE).map_err(config)?;
    let alg = &rcgen::PKCS_ECDSA_P256_SHA256;
    let ca_key = KeyPair::generate_for(alg).map_err(config)?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = dn("AC du coffre Sceau");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(3650 * 3);
    let ca_cert = ca_params.self_signed(&ca_key).map_err(config)?;
    write_private(&dir.join(files::CA_CERT), &ca_cert.pem())?;
    let issuer = Issuer::new(ca_params, ca_key);

    let issue = |cn: &str, f: &dyn Fn(&mut CertificateParams)| -> Result<(String, String)> {
        let key = KeyPair::generate_for(alg).map_err(config)?;
        let mut p = CertificateParams::default();
        p.distinguished_name = dn(cn);
        p.use_authority_key_identifier_extension = true;
        p.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(3650);
        f(&mut p);
        let cert = p.signed_by(&key, &issuer).map_err(config)?;
        Ok((cert.pem(), key.serialize_pem()))
    };

    let names = server_names.to_vec();
    let (cert, key) = issue("Serveur du coffre Sceau", &|p| {
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.subject_alt_names = names
            .iter()
            .filter_map(|n| match n.parse::<std::net::IpAddr>() {
                Ok(ip) => Some(SanType::IpAddress(ip)),
                Err(_) => n.clone().try_into().ok().map(SanType::DnsName),
            })
            .collect();
    })?;
    write_private(&dir.join(files::SERVER_CERT), &cert)?;
    write_private(&dir.join(files::SERVER_KEY), &key)?;

    let (cert, key) = issue("Cachet du coffre Sceau", &|p| {
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
    })?;
    write_private(&dir.join(files::SEAL_CERT), &cert)?;
    write_private(&dir.join(files::SEAL_KEY), &key)?;

    let (cert, key) = issue("Horodatage du coffre Sceau", &|p| {
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
        // RFC 3161 § 2.3: the only EKU, critical (rcgen writes its own EKU non-critical).
        let mut eku =
            CustomExtension::from_oid_content(&[2, 5, 29, 37], EKU_TIME_STAMPING_DER.to_vec());
        eku.set_criticality(true);
        p.custom_extensions.push(eku);
    })?;
    write_private(&dir.join(files::TSA_CERT), &cert)?;
    write_private(&dir.join(files::TSA_KEY), &key)?;
    Ok(())
}

/// Reads a PEM certificate file.
pub fn load_cert(path: &Path) -> Result<Certificate> {
    let pem = std::fs::read_to_string(path).map_err(file_error(path))?;
    let (_, der) = der::pem::decode_vec(pem.as_bytes()).map_err(config)?;
    Certificate::from_der(&der).map_err(config)
}

/// Reads every certificate of a PEM file (DER each).
pub fn load_cert_ders(path: &Path) -> Result<Vec<Vec<u8>>> {
    let pem = std::fs::read_to_string(path).map_err(file_error(path))?;
    let mut out = Vec::new();
    for block in pem.split_inclusive("-----END CERTIFICATE-----") {
        let block = block.trim();
        if block.contains("-----BEGIN CERTIFICATE-----") {
            let start = block.find("-----BEGIN").unwrap_or(0);
            let (_, der) = der::pem::decode_vec(&block.as_bytes()[start..]).map_err(config)?;
            out.push(der);
        }
    }
    Ok(out)
}

fn load_key(path: &Path) -> Result<SigningKey> {
    let pem = std::fs::read_to_string(path).map_err(file_error(path))?;
    let (_, der) = der::pem::decode_vec(pem.as_bytes()).map_err(config)?;
    SigningKey::from_pkcs8_der(&der).map_err(config)
}

/// The vault's P-256 key signing through ring: a deposit costs two signatures (seal and
/// time-stamp), and ring's are several times faster than the portable arithmetic. Same key,
/// same DER ECDSA-with-SHA-256 signatures; `sceau-cades` still checks each one against the
/// certificate before using it.
struct RingKey {
    pair: ring::signature::EcdsaKeyPair,
    verifying: p256::ecdsa::VerifyingKey,
    rng: ring::rand::SystemRandom,
}

impl RingKey {
    fn new(key: &SigningKey) -> Option<Self> {
        use p256::pkcs8::EncodePrivateKey;
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = key.to_pkcs8_der().ok()?;
        let pair = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            pkcs8.as_bytes(),
            &rng,
        )
        .ok()?;
        Some(RingKey {
            pair,
            verifying: *key.verifying_key(),
            rng,
        })
    }
}

impl signature::Keypair for RingKey {
    type VerifyingKey = p256::ecdsa::VerifyingKey;

    fn verifying_key(&self) -> Self::VerifyingKey {
        self.verifying
    }
}

impl spki::DynSignatureAlgorithmIdentifier for RingKey {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(AlgorithmIdentifierOwned {
            oid: const_oid::db::rfc5912::ECDSA_WITH_SHA_256,
            parameters: None,
        })
    }
}

impl signature::Signer<DerSignature> for RingKey {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<DerSignature, signature::Error> {
        let sig = self
            .pair
            .sign(&self.rng, msg)
            .map_err(|_| signature::Error::new())?;
        DerSignature::from_bytes(sig.as_ref()).map_err(|_| signature::Error::new())
    }
}

/// A signing key with its certificate and chain.
pub struct KeyCert {
    key: SigningKey,
    /// The same key through ring, when ring accepts it (it always does for keys made by
    /// `init`; the portable key is the fallback).
    fast: Option<RingKey>,
    /// The certificate.
    pub cert: Certificate,
    /// The vault CA certificate.
    pub ca: Certificate,
}

impl KeyCert {
    /// Loads `key_file` and `cert_file` from `dir`.
    pub fn load(dir: &Path, key_file: &str, cert_file: &str) -> Result<Self> {
        let key = load_key(&dir.join(key_file))?;
        Ok(KeyCert {
            fast: RingKey::new(&key),
            key,
            cert: load_cert(&dir.join(cert_file))?,
            ca: load_cert(&dir.join(files::CA_CERT))?,
        })
    }

    /// Seals `content`: a detached CAdES-BES signature (DER CMS).
    pub fn seal(&self, content: &[u8], at: DateTime<Utc>) -> Result<Vec<u8>> {
        let opts = SignOptions {
            content,
            signer_cert: &self.cert,
            chain: std::slice::from_ref(&self.ca),
            digest: DigestAlgorithm::Sha256,
            signing_time: at,
        };
        match &self.fast {
            Some(fast) => sign_detached::<_, DerSignature>(fast, &opts),
            None => sign_detached::<_, DerSignature>(&self.key, &opts),
        }
        .map_err(crypto)
    }

    /// Answers an RFC 3161 TimeStampReq (DER) with a TimeStampResp (DER) at time `at`.
    pub fn timestamp_reply(&self, request_der: &[u8], at: DateTime<Utc>) -> Result<Vec<u8>> {
        let req = TimeStampReq::from_der(request_der)
            .map_err(|e| Error::BadRequest(format!("TimeStampReq: {e}")))?;
        if DigestAlgorithm::from_oid(&req.message_imprint.hash_algorithm.oid).is_none() {
            return Err(Error::BadRequest("unsupported hash algorithm".into()));
        }
        let token = self.token(req.message_imprint, req.nonce, at)?;
        let resp = TimeStampResp {
            status: cmpv2::status::PkiStatusInfo {
                status: cmpv2::status::PkiStatus::Accepted,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(
                cms::content_info::ContentInfo::from_der(&token).map_err(crypto)?,
            ),
        };
        resp.to_der().map_err(crypto)
    }

    /// A time-stamp token (DER ContentInfo) over `data`'s SHA-256.
    pub fn timestamp_data(&self, data: &[u8], at: DateTime<Utc>) -> Result<Vec<u8>> {
        self.timestamp_imprint(&DigestAlgorithm::Sha256.hash(data), at)
    }

    /// A time-stamp token (DER ContentInfo) over a SHA-256 digest.
    pub fn timestamp_imprint(&self, sha256: &[u8], at: DateTime<Utc>) -> Result<Vec<u8>> {
        let imprint = MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: DigestAlgorithm::Sha256.oid(),
                parameters: None,
            },
            hashed_message: OctetString::new(sha256).map_err(crypto)?,
        };
        self.token(imprint, None, at)
    }

    fn token(
        &self,
        imprint: MessageImprint,
        nonce: Option<Int>,
        at: DateTime<Utc>,
    ) -> Result<Vec<u8>> {
        let mut serial = [0u8; 16];
        OsRng.fill_bytes(&mut serial);
        serial[0] = (serial[0] & 0x7f) | 0x40;
        let secs = u64::try_from(at.timestamp()).map_err(crypto)?;
        let tst = TstInfo {
            version: TspVersion::V1,
            policy: TSA_POLICY,
            message_imprint: imprint,
            serial_number: Int::new(&serial).map_err(crypto)?,
            gen_time: GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(secs))
                .map_err(crypto)?,
            accuracy: None,
            ordering: false,
            nonce,
            tsa: None,
            extensions: None,
        };
        let tst_der = tst.to_der().map_err(crypto)?;
        let opts = SignDigestOptions {
            content_digest: &[],
            signer_cert: &self.cert,
            chain: std::slice::from_ref(&self.ca),
            digest: DigestAlgorithm::Sha256,
            signing_time: at,
        };
        match &self.fast {
            Some(fast) => {
                sign_encapsulated::<_, DerSignature>(fast, &opts, ID_CT_TST_INFO, &tst_der)
            }
            None => {
                sign_encapsulated::<_, DerSignature>(&self.key, &opts, ID_CT_TST_INFO, &tst_der)
            }
        }
        .map_err(crypto)
    }
}

/// `TimeStamper` over the vault's own TSA, for `sceau_cades::add_timestamp`-style callers.
pub struct LocalTsa<'a> {
    /// The TSA key.
    pub tsa: &'a KeyCert,
    /// The time to certify.
    pub at: DateTime<Utc>,
}

impl sceau_cades::TimeStamper for LocalTsa<'_> {
    fn timestamp(&self, request_der: &[u8]) -> std::result::Result<Vec<u8>, sceau_cades::Error> {
        self.tsa
            .timestamp_reply(request_der, self.at)
            .map_err(|e| sceau_cades::Error::TsaInvalidResponse(e.to_string()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The keys `init` makes sign through ring, and what ring signs verifies with the portable
    /// code against the certificate (the seal is then checked by openssl in the deposit tests).
    #[test]
    fn vault_keys_sign_through_ring() {
        use p256::ecdsa::signature::Verifier;
        let dir = tempfile::tempdir().unwrap();
        init_keys(dir.path(), &["127.0.0.1".into()]).unwrap();
        for (key, cert) in [
            (files::SEAL_KEY, files::SEAL_CERT),
            (files::TSA_KEY, files::TSA_CERT),
        ] {
            let kc = KeyCert::load(dir.path(), key, cert).unwrap();
            let fast = kc.fast.as_ref().expect("ring accepts the vault's keys");
            let sig: DerSignature = signature::Signer::try_sign(fast, b"attestation").unwrap();
            kc.key.verifying_key().verify(b"attestation", &sig).unwrap();
            let mut other = b"attestation".to_vec();
            other[0] ^= 1;
            assert!(kc.key.verifying_key().verify(&other, &sig).is_err());
        }
    }
}
