//! Shared helpers for the integration tests: a test PKI, in-memory signers of every supported
//! kind, and OpenSSL as an independent oracle.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

use chrono::{DateTime, Utc};
use der::{Decode, Encode};
use rsa::pkcs8::DecodePrivateKey;
use sceau_cades::{sign_detached, Certificate, DigestAlgorithm, SignOptions};
use sceau_testsupport::pki::{Identity, IssueRequest, KeySpec, Profile, TestCa};

/// The in-memory signer kinds exercised by the tests.
#[derive(Debug, Clone, Copy)]
pub enum Alg {
    RsaPkcs1(DigestAlgorithm),
    RsaPss(DigestAlgorithm),
    EcP256,
    EcP384,
}

impl Alg {
    pub fn digest(self) -> DigestAlgorithm {
        match self {
            Alg::RsaPkcs1(d) | Alg::RsaPss(d) => d,
            Alg::EcP256 => DigestAlgorithm::Sha256,
            Alg::EcP384 => DigestAlgorithm::Sha384,
        }
    }
}

/// A root CA, an intermediate CA, and the PEM files OpenSSL needs, in a temp dir.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub root: TestCa,
    pub intermediate: TestCa,
    pub root_pem: PathBuf,
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let root = TestCa::new("AC racine de test", KeySpec::EcP384).unwrap();
        let intermediate = root
            .intermediate("AC commissaires de justice", KeySpec::EcP256)
            .unwrap();
        let (root_pem, _) = root.identity.write_pem(dir.path(), "root").unwrap();
        Pki {
            dir,
            root,
            intermediate,
            root_pem,
        }
    }

    pub fn anchors(&self) -> Vec<Certificate> {
        vec![cert(&self.root.identity)]
    }

    /// The chain a signer embeds: the intermediate (the root is the verifier's anchor).
    pub fn chain(&self) -> Vec<Certificate> {
        vec![cert(&self.intermediate.identity)]
    }

    /// A signature certificate for a bailiff, issued by the intermediate.
    pub fn signer(&self, key: KeySpec) -> Identity {
        self.intermediate.issue(&bailiff_request(key)).unwrap()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

pub fn bailiff_request(key: KeySpec) -> IssueRequest {
    IssueRequest {
        given_name: Some("Jeanne".into()),
        surname: Some("Martin".into()),
        title: Some("Commissaire de justice".into()),
        organization: Some("SELARL Martin & Associés".into()),
        ..IssueRequest::new("Jeanne Martin", key, Profile::Signature)
    }
}

pub fn key_spec(alg: Alg, rsa_bits: usize) -> KeySpec {
    match alg {
        Alg::RsaPkcs1(_) | Alg::RsaPss(_) => KeySpec::Rsa(rsa_bits),
        Alg::EcP256 => KeySpec::EcP256,
        Alg::EcP384 => KeySpec::EcP384,
    }
}

pub fn cert(id: &Identity) -> Certificate {
    Certificate::from_der(&id.cert_der).unwrap()
}

/// Signs `content` with `key` (its private key) and `cert_id` (its certificate).
pub fn sign_with(
    alg: Alg,
    key: &Identity,
    cert_id: &Identity,
    chain: &[Certificate],
    content: &[u8],
    signing_time: DateTime<Utc>,
) -> Result<Vec<u8>, sceau_cades::Error> {
    let signer_cert = cert(cert_id);
    let options = SignOptions {
        content,
        signer_cert: &signer_cert,
        chain,
        digest: alg.digest(),
        signing_time,
    };
    let der = &key.key_pkcs8_der;
    match alg {
        Alg::RsaPkcs1(d) => {
            let k = rsa::RsaPrivateKey::from_pkcs8_der(der).unwrap();
            match d {
                DigestAlgorithm::Sha256 => {
                    sign_detached(&rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(k), &options)
                }
                DigestAlgorithm::Sha384 => {
                    sign_detached(&rsa::pkcs1v15::SigningKey::<sha2::Sha384>::new(k), &options)
                }
                DigestAlgorithm::Sha512 => {
                    sign_detached(&rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(k), &options)
                }
            }
        }
        Alg::RsaPss(d) => {
            let k = rsa::RsaPrivateKey::from_pkcs8_der(der).unwrap();
            match d {
                DigestAlgorithm::Sha256 => {
                    sign_detached(&rsa::pss::SigningKey::<sha2::Sha256>::new(k), &options)
                }
                DigestAlgorithm::Sha384 => {
                    sign_detached(&rsa::pss::SigningKey::<sha2::Sha384>::new(k), &options)
                }
                DigestAlgorithm::Sha512 => {
                    sign_detached(&rsa::pss::SigningKey::<sha2::Sha512>::new(k), &options)
                }
            }
        }
        Alg::EcP256 => {
            let k = p256::ecdsa::SigningKey::from_pkcs8_der(der).unwrap();
            sign_detached::<_, p256::ecdsa::DerSignature>(&k, &options)
        }
        Alg::EcP384 => {
            let k = p384::ecdsa::SigningKey::from_pkcs8_der(der).unwrap();
            sign_detached::<_, p384::ecdsa::DerSignature>(&k, &options)
        }
    }
}

/// Runs a command and returns (success, stdout + stderr).
pub fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[allow(unused_imports)] // not every test binary uses it
pub use sceau_testsupport::oracle::openssl_cms_verify;

/// Whether this openssl knows `cms -cades` (3.2+ only).
pub fn openssl_has_cades() -> bool {
    let out = Command::new("openssl")
        .args(["cms", "-help"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr).contains("-cades")
        || String::from_utf8_lossy(&out.stdout).contains("-cades")
}

/// Decodes a signature's SignedData.
pub fn signed_data(p7s: &[u8]) -> cms::signed_data::SignedData {
    let ci = cms::content_info::ContentInfo::from_der(p7s).unwrap();
    ci.content.decode_as().unwrap()
}

/// Re-encodes a SignedData as a ContentInfo.
pub fn encode(sd: &cms::signed_data::SignedData) -> Vec<u8> {
    cms::content_info::ContentInfo {
        content_type: const_oid::db::rfc5911::ID_SIGNED_DATA,
        content: der::Any::encode_from(sd).unwrap(),
    }
    .to_der()
    .unwrap()
}
