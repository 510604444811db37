//! CAdES-BES and CAdES-T detached signatures (CMS SignedData), their verification, and an
//! RFC 3161 time-stamping client.
//!
//! Signing is generic over any signer with the RustCrypto traits (`signature::Signer`,
//! `signature::Keypair`, `spki::DynSignatureAlgorithmIdentifier`), so that an in-memory key and
//! a PKCS#11 token key go through the same code. Verification returns a structured
//! [`VerificationReport`] rather than an error, so that the application can tell a clerk
//! precisely what is wrong with a signature ([`Failure::message_fr`]).

mod algs;
mod certinfo;
mod digest;
mod error;
mod ess;
pub mod proof;
mod sign;
mod tsp;
mod verify;

pub use certinfo::{name_attr, summarize, CertificateSummary, KeyRole};
pub use digest::{digest_reader, DigestAlgorithm};
pub use error::Error;
pub use sign::{
    sign_detached, sign_detached_batch, sign_detached_run, sign_digest, sign_encapsulated,
    BatchItem, RunSigner, SignDigestOptions, SignOptions, SignerRun,
};
pub use tsp::{add_timestamp, HttpTimeStamper, TimeStamper, ID_AA_SIGNATURE_TIME_STAMP_TOKEN};
pub use verify::{
    verify_detached, verify_detached_reader, ChainReport, ChainStatus, Failure,
    SigningCertificateStatus, TimeSource, TimestampReport, VerificationReport,
};

/// Re-exported so that callers name certificates with the same `x509-cert` version as we do.
pub use x509_cert::Certificate;

/// Whether `signature` over `message` verifies with the public key of `issuer` under the
/// algorithm `alg` (RSA PKCS#1 v1.5 or PSS, ECDSA P-256/P-384): for a certificate revocation
/// list or a certificate signed by `issuer`.
pub fn signed_by(
    issuer: &Certificate,
    alg: &spki::AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> bool {
    algs::verify(
        &issuer.tbs_certificate.subject_public_key_info,
        alg,
        None,
        message,
        signature,
    )
    .is_ok()
}
