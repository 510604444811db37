//! Signature algorithms: which hash an AlgorithmIdentifier implies, and verification of RSA
//! PKCS#1 v1.5, RSA-PSS and ECDSA P-256/P-384 signatures (for CMS signer infos and for
//! certificates alike).

use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, ID_EC_PUBLIC_KEY, ID_MGF_1,
    ID_RSASSA_PSS, RSA_ENCRYPTION, SECP_256_R_1, SECP_384_R_1, SHA_256_WITH_RSA_ENCRYPTION,
    SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use rsa::pkcs1::RsaPssParams;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, Pss, RsaPublicKey};
use sha2::{Sha256, Sha384, Sha512};
use signature::hazmat::PrehashVerifier;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::DigestAlgorithm;

/// Why a signature could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SigError {
    /// The algorithm or key type is not one we implement (dotted OID or description).
    Unsupported(String),
    /// The signature does not verify.
    Invalid,
}

/// How a signature algorithm identifier tells us to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Pkcs1(DigestAlgorithm),
    Pss {
        hash: DigestAlgorithm,
        salt_len: usize,
    },
    Ecdsa(DigestAlgorithm),
}

fn scheme(
    alg: &AlgorithmIdentifierOwned,
    digest_hint: Option<DigestAlgorithm>,
) -> Result<Scheme, SigError> {
    let unsupported = || SigError::Unsupported(alg.oid.to_string());
    Ok(match alg.oid {
        // CMS lets the signature algorithm be plain rsaEncryption, the hash being the
        // SignerInfo's digestAlgorithm.
        RSA_ENCRYPTION => Scheme::Pkcs1(digest_hint.ok_or_else(unsupported)?),
        SHA_256_WITH_RSA_ENCRYPTION => Scheme::Pkcs1(DigestAlgorithm::Sha256),
        SHA_384_WITH_RSA_ENCRYPTION => Scheme::Pkcs1(DigestAlgorithm::Sha384),
        SHA_512_WITH_RSA_ENCRYPTION => Scheme::Pkcs1(DigestAlgorithm::Sha512),
        ECDSA_WITH_SHA_256 => Scheme::Ecdsa(DigestAlgorithm::Sha256),
        ECDSA_WITH_SHA_384 => Scheme::Ecdsa(DigestAlgorithm::Sha384),
        ECDSA_WITH_SHA_512 => Scheme::Ecdsa(DigestAlgorithm::Sha512),
        ID_RSASSA_PSS => {
            let params_der = alg
                .parameters
                .as_ref()
                .ok_or_else(unsupported)?
                .to_der()
                .map_err(|_| unsupported())?;
            let params = RsaPssParams::from_der(&params_der).map_err(|_| unsupported())?;
            let hash = DigestAlgorithm::from_oid(&params.hash.oid).ok_or_else(|| {
                SigError::Unsupported(format!("RSA-PSS with hash {}", params.hash.oid))
            })?;
            // The rsa crate's MGF1 uses the same hash as the message: refuse anything else
            // rather than report a confusing "invalid signature".
            let mgf_hash = params.mask_gen.parameters.as_ref().map(|p| p.oid);
            if params.mask_gen.oid != ID_MGF_1 || mgf_hash != Some(hash.oid()) {
                return Err(SigError::Unsupported(
                    "RSA-PSS with a different MGF1 hash".into(),
                ));
            }
            Scheme::Pss {
                hash,
                salt_len: usize::from(params.salt_len),
            }
        }
        _ => return Err(unsupported()),
    })
}

/// The hash a signature algorithm identifier commits to, if it names one.
pub(crate) fn implied_digest(alg: &AlgorithmIdentifierOwned) -> Option<DigestAlgorithm> {
    match scheme(alg, None).ok()? {
        Scheme::Pkcs1(d) | Scheme::Ecdsa(d) | Scheme::Pss { hash: d, .. } => Some(d),
    }
}

/// A short human name for a signature algorithm, e.g. "RSA-PSS SHA-256".
pub(crate) fn algorithm_name(
    alg: &AlgorithmIdentifierOwned,
    digest_hint: Option<DigestAlgorithm>,
) -> String {
    match scheme(alg, digest_hint) {
        Ok(Scheme::Pkcs1(d)) => format!("RSA PKCS#1 v1.5 {d}"),
        Ok(Scheme::Pss { hash, .. }) => format!("RSA-PSS {hash}"),
        Ok(Scheme::Ecdsa(d)) => format!("ECDSA {d}"),
        Err(_) => alg.oid.to_string(),
    }
}

/// Verifies `signature` over `message` with the public key `spki`.
pub(crate) fn verify(
    spki: &SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    digest_hint: Option<DigestAlgorithm>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SigError> {
    let scheme = scheme(alg, digest_hint)?;
    // ring's RSA verification is several times faster than the portable arithmetic (a token
    // signature is checked before it leaves the workstation); it takes keys of 2048 to 8192
    // bits and PSS salts as long as the hash. A signature it refuses goes through RustCrypto
    // below, which decides: both implement the same verification.
    if let Some(alg) = ring_rsa(&scheme) {
        if spki.algorithm.oid == RSA_ENCRYPTION
            && ring::signature::UnparsedPublicKey::new(alg, spki.subject_public_key.raw_bytes())
                .verify(message, signature)
                .is_ok()
        {
            return Ok(());
        }
    }
    match scheme {
        Scheme::Pkcs1(d) => {
            let key = rsa_key(spki)?;
            let padding = match d {
                DigestAlgorithm::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
                DigestAlgorithm::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
                DigestAlgorithm::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
            };
            key.verify(padding, &d.hash(message), signature)
                .map_err(|_| SigError::Invalid)
        }
        Scheme::Pss { hash, salt_len } => {
            let key = rsa_key(spki)?;
            let padding = match hash {
                DigestAlgorithm::Sha256 => Pss::new_with_salt::<Sha256>(salt_len),
                DigestAlgorithm::Sha384 => Pss::new_with_salt::<Sha384>(salt_len),
                DigestAlgorithm::Sha512 => Pss::new_with_salt::<Sha512>(salt_len),
            };
            key.verify(padding, &hash.hash(message), signature)
                .map_err(|_| SigError::Invalid)
        }
        Scheme::Ecdsa(d) => {
            if spki.algorithm.oid != ID_EC_PUBLIC_KEY {
                return Err(SigError::Unsupported(format!(
                    "ECDSA signature with a {} key",
                    spki.algorithm.oid
                )));
            }
            let curve: ObjectIdentifier = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as().ok())
                .ok_or_else(|| SigError::Unsupported("EC key without a named curve".into()))?;
            let point = spki.subject_public_key.raw_bytes();
            // ring's verification is several times faster than the portable arithmetic (the
            // vault checks several signatures per deposit); it takes uncompressed points with
            // SHA-256/384. Other combinations go through RustCrypto below. Both accept the
            // same signatures: DER, any s in [1, n-1].
            if let Some(alg) = ring_ecdsa(curve, d) {
                if point.first() == Some(&0x04) {
                    return ring::signature::UnparsedPublicKey::new(alg, point)
                        .verify(message, signature)
                        .map_err(|_| SigError::Invalid);
                }
            }
            let hashed = d.hash(message);
            // Prehash verification accepts any hash length, so P-256 with SHA-384 works too.
            let ok = match curve {
                SECP_256_R_1 => {
                    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                        .map_err(|_| SigError::Invalid)?;
                    let sig = p256::ecdsa::Signature::from_der(signature)
                        .map_err(|_| SigError::Invalid)?;
                    key.verify_prehash(&hashed, &sig).is_ok()
                }
                SECP_384_R_1 => {
                    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                        .map_err(|_| SigError::Invalid)?;
                    let sig = p384::ecdsa::Signature::from_der(signature)
                        .map_err(|_| SigError::Invalid)?;
                    key.verify_prehash(&hashed, &sig).is_ok()
                }
                other => return Err(SigError::Unsupported(format!("EC curve {other}"))),
            };
            if ok {
                Ok(())
            } else {
                Err(SigError::Invalid)
            }
        }
    }
}

/// ring's ECDSA verification algorithm for `curve` with digest `d`, if it has one.
fn ring_ecdsa(
    curve: ObjectIdentifier,
    d: DigestAlgorithm,
) -> Option<&'static ring::signature::EcdsaVerificationAlgorithm> {
    use ring::signature as rs;
    match (curve, d) {
        (SECP_256_R_1, DigestAlgorithm::Sha256) => Some(&rs::ECDSA_P256_SHA256_ASN1),
        (SECP_256_R_1, DigestAlgorithm::Sha384) => Some(&rs::ECDSA_P256_SHA384_ASN1),
        (SECP_384_R_1, DigestAlgorithm::Sha256) => Some(&rs::ECDSA_P384_SHA256_ASN1),
        (SECP_384_R_1, DigestAlgorithm::Sha384) => Some(&rs::ECDSA_P384_SHA384_ASN1),
        _ => None,
    }
}

fn ring_rsa(scheme: &Scheme) -> Option<&'static ring::signature::RsaParameters> {
    use ring::signature as rs;
    match *scheme {
        Scheme::Pkcs1(DigestAlgorithm::Sha256) => Some(&rs::RSA_PKCS1_2048_8192_SHA256),
        Scheme::Pkcs1(DigestAlgorithm::Sha384) => Some(&rs::RSA_PKCS1_2048_8192_SHA384),
        Scheme::Pkcs1(DigestAlgorithm::Sha512) => Some(&rs::RSA_PKCS1_2048_8192_SHA512),
        Scheme::Pss { hash, salt_len } if salt_len == hash.output_len() => Some(match hash {
            DigestAlgorithm::Sha256 => &rs::RSA_PSS_2048_8192_SHA256,
            DigestAlgorithm::Sha384 => &rs::RSA_PSS_2048_8192_SHA384,
            DigestAlgorithm::Sha512 => &rs::RSA_PSS_2048_8192_SHA512,
        }),
        _ => None,
    }
}

fn rsa_key(spki: &SubjectPublicKeyInfoOwned) -> Result<RsaPublicKey, SigError> {
    if spki.algorithm.oid != RSA_ENCRYPTION && spki.algorithm.oid != ID_RSASSA_PSS {
        return Err(SigError::Unsupported(format!(
            "RSA signature with a {} key",
            spki.algorithm.oid
        )));
    }
    // An id-RSASSA-PSS key carries the same RSAPublicKey; the rsa crate only reads
    // rsaEncryption SPKIs, so read the inner key directly.
    use rsa::pkcs1::DecodeRsaPublicKey;
    // A key we cannot load (e.g. larger than the rsa crate's 4096-bit limit) says nothing
    // about the signature: report it as unsupported, not as a bad signature.
    let unreadable = |e: String| SigError::Unsupported(format!("RSA public key: {e}"));
    if spki.algorithm.oid == ID_RSASSA_PSS {
        return RsaPublicKey::from_pkcs1_der(spki.subject_public_key.raw_bytes())
            .map_err(|e| unreadable(e.to_string()));
    }
    let der = spki.to_der().map_err(|e| unreadable(e.to_string()))?;
    RsaPublicKey::from_public_key_der(&der).map_err(|e| unreadable(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use spki::DynSignatureAlgorithmIdentifier;

    #[test]
    fn pss_parameters_give_hash_and_salt() {
        let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
        let signer = rsa::pss::SigningKey::<Sha384>::new(key);
        let alg = signer.signature_algorithm_identifier().unwrap();
        assert_eq!(
            scheme(&alg, None).unwrap(),
            Scheme::Pss {
                hash: DigestAlgorithm::Sha384,
                salt_len: 48
            }
        );
        assert_eq!(implied_digest(&alg), Some(DigestAlgorithm::Sha384));
        assert_eq!(algorithm_name(&alg, None), "RSA-PSS SHA-384");
    }

    #[test]
    fn plain_rsa_encryption_needs_the_signer_info_digest() {
        let alg = AlgorithmIdentifierOwned {
            oid: RSA_ENCRYPTION,
            parameters: None,
        };
        assert!(matches!(scheme(&alg, None), Err(SigError::Unsupported(_))));
        assert_eq!(
            scheme(&alg, Some(DigestAlgorithm::Sha512)).unwrap(),
            Scheme::Pkcs1(DigestAlgorithm::Sha512)
        );
    }
}
