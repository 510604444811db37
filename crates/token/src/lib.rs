//! `sceau-token`: access to the office's cryptographic key (a PKCS#11 token) for Sceau.
//!
//! - [`module`] finds the PKCS#11 module (explicit path, `SCEAU_PKCS11_MODULE`, configuration,
//!   or the known vendor paths of this operating system);
//! - [`Tokens`] owns the loaded module on a dedicated worker thread: every PKCS#11 call is
//!   serialised there, so async callers never block and a session is never shared between threads;
//! - [`CertificateInfo`] describes each certificate with its role (qualified signature or
//!   authentication), holder, function, issuer, serial and validity; selection is always by
//!   certificate, matched to its private key by `CKA_ID`;
//! - [`TokenKey`] is a private key on the token usable through the RustCrypto `signature` traits;
//!   [`SignRun`] signs a batch with it as one run (the key looked up and the user logged in once,
//!   each signature started — with its own PIN entry for an always-authenticate key — while its
//!   document is still being hashed);
//! - [`Pin`] keeps a PIN in zeroized memory; it is never logged, displayed or stored, and a PIN is
//!   never tried when the token reports its final try unless the caller confirmed it.
//!
//! Errors are one enum, [`Error`], whose [`Error::message_fr`] is the French sentence shown to a
//! clerk.

mod certs;
mod error;
pub mod module;
mod pin;
mod raw;
mod signer;
mod worker;
#[cfg(feature = "yubikey")]
pub mod yubikey;

pub use certs::{CertSelector, CertificateInfo, KeyPresence, Role};
pub use error::{Error, Result};
pub use pin::{FinalTry, Pin};
pub use signer::{HashAlg, SignRun, SignatureAlgorithm, TokenKey, TokenSignature};
pub use worker::{Call, PinStatus, TokenInfo, TokenSelector, Tokens};
