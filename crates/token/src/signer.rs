//! A private key on the token, usable through the RustCrypto `signature` traits.

use const_oid::db::rfc5912;
use const_oid::ObjectIdentifier;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use der::asn1::UintRef;
use der::{Decode, Encode, Sequence};
use serde::Serialize;
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::{Keypair, SignatureEncoding};
use spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, SignatureBitStringEncoding,
    SubjectPublicKeyInfoOwned,
};

use crate::worker::Run;
use crate::{CertificateInfo, Error, FinalTry, Pin, Result, Tokens};

/// Hash function of a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha256 => Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    fn mechanism(self) -> MechanismType {
        match self {
            HashAlg::Sha256 => MechanismType::SHA256,
            HashAlg::Sha384 => MechanismType::SHA384,
            HashAlg::Sha512 => MechanismType::SHA512,
        }
    }

    fn mgf1(self) -> PkcsMgfType {
        match self {
            HashAlg::Sha256 => PkcsMgfType::MGF1_SHA256,
            HashAlg::Sha384 => PkcsMgfType::MGF1_SHA384,
            HashAlg::Sha512 => PkcsMgfType::MGF1_SHA512,
        }
    }

    /// DER prefix of the PKCS#1 v1.5 `DigestInfo` for this hash (RFC 8017 §9.2, note 1).
    fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            HashAlg::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            HashAlg::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            HashAlg::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }
}

/// Signature scheme used with a token key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "scheme", content = "hash")]
pub enum SignatureAlgorithm {
    /// RSA PKCS#1 v1.5.
    RsaPkcs1v15(HashAlg),
    /// RSA-PSS with MGF1 on the same hash and a salt as long as the hash.
    RsaPss(HashAlg),
    /// ECDSA, DER-encoded signature.
    Ecdsa(HashAlg),
}

impl SignatureAlgorithm {
    /// The hash function.
    pub fn hash(self) -> HashAlg {
        match self {
            SignatureAlgorithm::RsaPkcs1v15(h)
            | SignatureAlgorithm::RsaPss(h)
            | SignatureAlgorithm::Ecdsa(h) => h,
        }
    }

    /// The X.509/CMS algorithm identifier of this scheme.
    pub fn algorithm_identifier(self) -> spki::Result<AlgorithmIdentifierOwned> {
        let null = || Some(der::Any::from(der::asn1::Null));
        Ok(match self {
            SignatureAlgorithm::RsaPkcs1v15(h) => AlgorithmIdentifierOwned {
                oid: match h {
                    HashAlg::Sha256 => rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
                    HashAlg::Sha384 => rfc5912::SHA_384_WITH_RSA_ENCRYPTION,
                    HashAlg::Sha512 => rfc5912::SHA_512_WITH_RSA_ENCRYPTION,
                },
                parameters: null(),
            },
            SignatureAlgorithm::RsaPss(h) => match h {
                HashAlg::Sha256 => rsa::pss::get_default_pss_signature_algo_id::<Sha256>()?,
                HashAlg::Sha384 => rsa::pss::get_default_pss_signature_algo_id::<Sha384>()?,
                HashAlg::Sha512 => rsa::pss::get_default_pss_signature_algo_id::<Sha512>()?,
            },
            SignatureAlgorithm::Ecdsa(h) => AlgorithmIdentifierOwned {
                oid: match h {
                    HashAlg::Sha256 => rfc5912::ECDSA_WITH_SHA_256,
                    HashAlg::Sha384 => rfc5912::ECDSA_WITH_SHA_384,
                    HashAlg::Sha512 => rfc5912::ECDSA_WITH_SHA_512,
                },
                parameters: None,
            },
        })
    }

    /// The usual scheme for a public key: PKCS#1 v1.5 SHA-256 for RSA (what every card
    /// supports), ECDSA with the hash matching the curve size.
    pub fn default_for(spki: &SubjectPublicKeyInfoOwned) -> Result<Self> {
        let oid = spki.algorithm.oid;
        if oid == rfc5912::RSA_ENCRYPTION {
            return Ok(SignatureAlgorithm::RsaPkcs1v15(HashAlg::Sha256));
        }
        if oid == rfc5912::ID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            return match curve {
                Some(c) if c == rfc5912::SECP_256_R_1 => {
                    Ok(SignatureAlgorithm::Ecdsa(HashAlg::Sha256))
                }
                Some(c) if c == rfc5912::SECP_384_R_1 => {
                    Ok(SignatureAlgorithm::Ecdsa(HashAlg::Sha384))
                }
                Some(c) if c == rfc5912::SECP_521_R_1 => {
                    Ok(SignatureAlgorithm::Ecdsa(HashAlg::Sha512))
                }
                other => Err(Error::Unsupported {
                    detail: format!("elliptic curve {other:?}"),
                }),
            };
        }
        Err(Error::Unsupported {
            detail: format!("public key algorithm {oid}"),
        })
    }

    /// Checks the scheme fits the key and turns the message into the token mechanism and the
    /// bytes the token signs. Hashing is done here, in software: cards commonly lack the
    /// combined hash-and-sign mechanisms, and only a few bytes then cross the USB link.
    fn prepare(self, spki: &SubjectPublicKeyInfoOwned, message: &[u8]) -> Result<(Mech, Vec<u8>)> {
        self.prepare_digest(spki, &self.hash().digest(message))
    }

    /// Like `prepare`, for a message already hashed with [`SignatureAlgorithm::hash`].
    fn prepare_digest(
        self,
        spki: &SubjectPublicKeyInfoOwned,
        digest: &[u8],
    ) -> Result<(Mech, Vec<u8>)> {
        let mechanism = self.mechanism(spki)?;
        Ok((mechanism, self.payload(digest)?))
    }

    /// The token mechanism of this scheme with the key `spki`, if the scheme fits the key.
    fn mechanism(self, spki: &SubjectPublicKeyInfoOwned) -> Result<Mech> {
        let is_rsa = spki.algorithm.oid == rfc5912::RSA_ENCRYPTION;
        match self {
            SignatureAlgorithm::RsaPkcs1v15(_) if is_rsa => Ok(Mech::RsaPkcs),
            SignatureAlgorithm::RsaPss(h) if is_rsa => Ok(Mech::RsaPss(h)),
            SignatureAlgorithm::Ecdsa(_) if spki.algorithm.oid == rfc5912::ID_EC_PUBLIC_KEY => {
                Ok(Mech::Ecdsa)
            }
            other => Err(Error::Unsupported {
                detail: format!("{other:?} with a {} key", spki.algorithm.oid),
            }),
        }
    }

    /// The bytes the token signs for `digest` (a `DigestInfo` for PKCS#1 v1.5, else the
    /// digest itself).
    fn payload(self, digest: &[u8]) -> Result<Vec<u8>> {
        let h = self.hash();
        if digest.len() != h.len() {
            return Err(Error::Unsupported {
                detail: format!("digest of {} bytes for {h:?}", digest.len()),
            });
        }
        Ok(match self {
            SignatureAlgorithm::RsaPkcs1v15(_) => {
                let mut payload = h.digest_info_prefix().to_vec();
                payload.extend_from_slice(digest);
                payload
            }
            SignatureAlgorithm::RsaPss(_) | SignatureAlgorithm::Ecdsa(_) => digest.to_vec(),
        })
    }
}

/// The token mechanism of a signature, built into a cryptoki `Mechanism` on the worker thread
/// (cryptoki's mechanism holds raw pointers and cannot cross threads).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mech {
    /// `CKM_RSA_PKCS` over a DER `DigestInfo`.
    RsaPkcs,
    /// `CKM_RSA_PKCS_PSS` over a digest.
    RsaPss(HashAlg),
    /// `CKM_ECDSA` over a digest.
    Ecdsa,
}

impl Mech {
    pub(crate) fn to_cryptoki(self) -> Mechanism<'static> {
        match self {
            Mech::RsaPkcs => Mechanism::RsaPkcs,
            Mech::RsaPss(h) => Mechanism::RsaPkcsPss(PkcsPssParams {
                hash_alg: h.mechanism(),
                mgf: h.mgf1(),
                s_len: (h.len() as u64).into(),
            }),
            Mech::Ecdsa => Mechanism::Ecdsa,
        }
    }
}

/// A signature made by the token, already in the encoding the algorithm identifier announces
/// (PKCS#1/PSS bytes, or DER `ECDSA-Sig-Value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSignature(Vec<u8>);

impl TokenSignature {
    /// The encoded signature.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl TryFrom<&[u8]> for TokenSignature {
    type Error = signature::Error;
    fn try_from(b: &[u8]) -> std::result::Result<Self, Self::Error> {
        Ok(TokenSignature(b.to_vec()))
    }
}

impl From<TokenSignature> for Box<[u8]> {
    fn from(s: TokenSignature) -> Self {
        s.0.into_boxed_slice()
    }
}

impl SignatureEncoding for TokenSignature {
    type Repr = Box<[u8]>;
}

impl SignatureBitStringEncoding for TokenSignature {
    fn to_bitstring(&self) -> der::Result<der::asn1::BitString> {
        der::asn1::BitString::from_bytes(&self.0)
    }
}

#[derive(Sequence)]
struct EcdsaSigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// PKCS#11 returns ECDSA signatures as `r ‖ s`; CMS and X.509 want DER.
fn ecdsa_raw_to_der(raw: &[u8]) -> Result<Vec<u8>> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return Err(Error::Unsupported {
            detail: format!("ECDSA signature of {} bytes", raw.len()),
        });
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let bad = |e: der::Error| Error::Unsupported {
        detail: e.to_string(),
    };
    EcdsaSigValue {
        r: UintRef::new(r).map_err(bad)?,
        s: UintRef::new(s).map_err(bad)?,
    }
    .to_der()
    .map_err(bad)
}

/// A private key on the token, bound to one certificate, for one operation.
///
/// It holds the PIN for its lifetime because keys with `CKA_ALWAYS_AUTHENTICATE` need it for
/// every signature; create it for an operation (one act, one batch) and drop it afterwards.
pub struct TokenKey {
    tokens: Tokens,
    token_serial: String,
    key_id: Vec<u8>,
    spki: SubjectPublicKeyInfoOwned,
    algorithm: SignatureAlgorithm,
    pin: Pin,
    final_try: FinalTry,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey")
            .field("token_serial", &self.token_serial)
            .field("key_id", &hex::encode(&self.key_id))
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl TokenKey {
    /// The key of `cert`, signing with `algorithm` (or the key's usual scheme).
    pub fn new(
        tokens: &Tokens,
        cert: &CertificateInfo,
        algorithm: Option<SignatureAlgorithm>,
        pin: Pin,
        final_try: FinalTry,
    ) -> Result<Self> {
        let parsed = cert.certificate()?;
        let spki_der = parsed
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| Error::BadCertificate {
                detail: e.to_string(),
            })?;
        let spki =
            SubjectPublicKeyInfoOwned::from_der(&spki_der).map_err(|e| Error::BadCertificate {
                detail: e.to_string(),
            })?;
        let algorithm = match algorithm {
            Some(a) => a,
            None => SignatureAlgorithm::default_for(&spki)?,
        };
        Ok(TokenKey {
            tokens: tokens.clone(),
            token_serial: cert.token_serial.clone(),
            key_id: cert.id(),
            spki,
            algorithm,
            pin,
            final_try,
        })
    }

    /// The signature scheme in use.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// Signs `message` (hashed here) and waits for the token. Blocking: call it from a worker
    /// thread or use [`TokenKey::sign_async`].
    pub fn sign_blocking(&self, message: &[u8]) -> Result<TokenSignature> {
        let (mechanism, payload) = self.algorithm.prepare(&self.spki, message)?;
        self.encode(self.call(mechanism, payload).wait()?)
    }

    /// Signs a digest computed with [`SignatureAlgorithm::hash`] of this key's algorithm.
    /// Blocking, like [`TokenKey::sign_blocking`].
    pub fn sign_digest_blocking(&self, digest: &[u8]) -> Result<TokenSignature> {
        let (mechanism, payload) = self.algorithm.prepare_digest(&self.spki, digest)?;
        self.encode(self.call(mechanism, payload).wait()?)
    }

    /// Signs `message` without blocking the async executor.
    pub async fn sign_async(&self, message: &[u8]) -> Result<TokenSignature> {
        let (mechanism, payload) = self.algorithm.prepare(&self.spki, message)?;
        self.encode(self.call(mechanism, payload).await?)
    }

    /// Starts a run of `count` signatures with this key: the token is found, logged in and
    /// the key looked up once, and each signature's operation (with its own PIN entry for an
    /// always-authenticate key) is started before its message arrives. See [`SignRun`].
    pub fn sign_run(&self, count: usize) -> SignRun<'_> {
        let run = self.algorithm.mechanism(&self.spki).map(|mechanism| {
            let run = (count > 0).then(|| {
                self.tokens.sign_run(
                    &self.token_serial,
                    self.key_id.clone(),
                    mechanism,
                    count,
                    self.pin.clone(),
                    self.final_try,
                )
            });
            (mechanism, run)
        });
        SignRun {
            key: self,
            run,
            failed: None,
        }
    }

    fn call(&self, mechanism: Mech, payload: Vec<u8>) -> crate::Call<Vec<u8>> {
        self.tokens.sign_raw(
            &self.token_serial,
            self.key_id.clone(),
            mechanism,
            payload,
            self.pin.clone(),
            self.final_try,
        )
    }

    fn encode(&self, raw: Vec<u8>) -> Result<TokenSignature> {
        Ok(TokenSignature(match self.algorithm {
            SignatureAlgorithm::Ecdsa(_) => ecdsa_raw_to_der(&raw)?,
            _ => raw,
        }))
    }
}

/// A run of signatures with one [`TokenKey`] ([`TokenKey::sign_run`]), its messages signed in
/// order. Blocking, like [`TokenKey::sign_blocking`]; the token's worker serves only this run
/// until its last signature (or until the run is dropped, which cancels the rest), so feed it
/// from a thread that does not wait on another token call meanwhile.
///
/// The first error ends the run: every later signature returns that error without touching
/// the token (a wrong PIN is never tried twice). Messages beyond the announced count are
/// signed one call each.
pub struct SignRun<'a> {
    key: &'a TokenKey,
    run: Result<(Mech, Option<Run>)>,
    failed: Option<Error>,
}

impl std::fmt::Debug for SignRun<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignRun")
            .field("key", self.key)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl SignRun<'_> {
    /// Signs `message` (hashed here, while the token gets ready).
    pub fn sign(&mut self, message: &[u8]) -> Result<TokenSignature> {
        let digest = self.key.algorithm.hash().digest(message);
        self.sign_digest(&digest)
    }

    /// Signs a digest computed with the key's [`SignatureAlgorithm::hash`].
    pub fn sign_digest(&mut self, digest: &[u8]) -> Result<TokenSignature> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let (mechanism, run) = match &mut self.run {
            Ok(r) => r,
            Err(e) => return Err(e.clone()),
        };
        let payload = self.key.algorithm.payload(digest)?;
        let raw = match run {
            Some(run) if run.left() > 0 => run.sign(payload),
            _ => self.key.call(*mechanism, payload).wait(),
        };
        match raw {
            Ok(raw) => self.key.encode(raw),
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }
}

impl sceau_cades::RunSigner<TokenSignature> for TokenKey {
    type Run<'a> = SignRun<'a>;
    fn begin_run(&self, count: usize) -> SignRun<'_> {
        self.sign_run(count)
    }
}

impl sceau_cades::SignerRun<TokenSignature> for SignRun<'_> {
    /// Like [`signature::Signer::try_sign`]: the token error is kept as the source.
    fn sign_next(&mut self, msg: &[u8]) -> std::result::Result<TokenSignature, signature::Error> {
        self.sign(msg).map_err(signature::Error::from_source)
    }
}

impl Keypair for TokenKey {
    type VerifyingKey = SubjectPublicKeyInfoOwned;
    fn verifying_key(&self) -> Self::VerifyingKey {
        self.spki.clone()
    }
}

impl DynSignatureAlgorithmIdentifier for TokenKey {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        self.algorithm.algorithm_identifier()
    }
}

impl signature::Signer<TokenSignature> for TokenKey {
    /// Blocking (see [`TokenKey::sign_blocking`]). The token error is kept as the source of the
    /// `signature::Error`, so callers can recover it with `downcast_ref::<sceau_token::Error>()`.
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<TokenSignature, signature::Error> {
        self.sign_blocking(msg)
            .map_err(signature::Error::from_source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_raw_signature_becomes_der() {
        let mut raw = vec![0u8; 64];
        raw[0] = 0x80; // r needs a leading zero in DER
        raw[63] = 1;
        let der = ecdsa_raw_to_der(&raw).unwrap();
        assert_eq!(der[0], 0x30);
        assert_eq!(&der[2..5], &[0x02, 0x21, 0x00]);
        assert!(ecdsa_raw_to_der(&[1, 2, 3]).is_err());
    }

    #[test]
    fn digest_info_prefix_announces_the_right_length() {
        for h in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
            let p = h.digest_info_prefix();
            assert_eq!(usize::from(*p.last().unwrap()), h.len());
            assert_eq!(usize::from(p[1]) + 2, p.len() + h.len());
        }
    }
}
