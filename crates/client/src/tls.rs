//! The TLS identity: the token's authentication key as a rustls client key, and the vault's CA
//! as the only trusted root.
//!
//! Blocking choice: rustls calls [`Signer::sign`] synchronously on the tokio task driving the
//! handshake, while the token answers on its own worker thread. On a multi-threaded runtime the
//! wait happens inside [`tokio::task::block_in_place`], which hands this worker's other tasks to
//! another thread, so a slow token (a PIN pad, a smart card at 9600 baud) does not starve the
//! runtime. On a current-thread runtime (where `block_in_place` would panic, and so would a
//! blocking receive on the token's channel) the wait happens on a scoped helper thread joined
//! plainly: the token worker is a separate OS thread, so this cannot deadlock; it only pauses
//! that runtime for the signature (~tens of ms), once per handshake. Outside tokio we wait
//! directly.

use std::sync::{Arc, Mutex};

use rustls::client::ResolvesClientCert;
use rustls::crypto::ring;
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{
    AlertDescription, ClientConfig, RootCertStore, SignatureAlgorithm as TlsAlgorithm,
    SignatureScheme,
};
use rustls_pki_types::CertificateDer;
use sceau_token::{CertificateInfo, FinalTry, HashAlg, Pin, SignatureAlgorithm, TokenKey, Tokens};

use crate::error::{Error, Result};

/// Which TLS versions to offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersions {
    /// TLS 1.3, falling back to 1.2 (the default).
    #[default]
    Both,
    /// TLS 1.2 only.
    Tls12Only,
    /// TLS 1.3 only.
    Tls13Only,
}

/// The office's authentication certificate and its key on the token, one [`TokenKey`] per TLS
/// signature scheme the key can produce, in order of preference.
///
/// Every new connection signs a handshake, so the PIN is held (zeroized on drop) for the life of
/// the vault session that owns this identity: drop the client at disconnection.
pub struct TokenIdentity {
    cert_der: Vec<u8>,
    algorithm: TlsAlgorithm,
    keys: Vec<(SignatureScheme, Arc<TokenKey>)>,
    /// The last token failure during a handshake, so that the caller can report the token's
    /// error (wrong PIN...) rather than the TLS failure it caused.
    last_token_error: Mutex<Option<sceau_token::Error>>,
    /// Set when a handshake signed with the token (the certificate was presented), taken by
    /// [`classify`]: with TLS 1.3 a server refuses a client certificate only after the client
    /// has finished its handshake, and the connection may close before the request is sent.
    presented: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for TokenIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIdentity")
            .field("algorithm", &self.algorithm)
            .field(
                "schemes",
                &self.keys.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl TokenIdentity {
    /// The identity of `cert` (the authentication certificate) on `tokens`, signing with `pin`.
    pub fn new(
        tokens: &Tokens,
        cert: &CertificateInfo,
        pin: Pin,
        final_try: FinalTry,
    ) -> Result<Self> {
        let probe = TokenKey::new(tokens, cert, None, pin.clone(), final_try)?;
        let key = |alg| -> Result<Arc<TokenKey>> {
            Ok(Arc::new(TokenKey::new(
                tokens,
                cert,
                Some(alg),
                pin.clone(),
                final_try,
            )?))
        };
        let (algorithm, keys) = match probe.algorithm() {
            SignatureAlgorithm::RsaPkcs1v15(_) | SignatureAlgorithm::RsaPss(_) => {
                // PSS first: TLS 1.3 accepts nothing else for an RSA client key.
                let mut keys = Vec::new();
                for (scheme, alg) in [
                    (
                        SignatureScheme::RSA_PSS_SHA256,
                        SignatureAlgorithm::RsaPss(HashAlg::Sha256),
                    ),
                    (
                        SignatureScheme::RSA_PSS_SHA384,
                        SignatureAlgorithm::RsaPss(HashAlg::Sha384),
                    ),
                    (
                        SignatureScheme::RSA_PSS_SHA512,
                        SignatureAlgorithm::RsaPss(HashAlg::Sha512),
                    ),
                    (
                        SignatureScheme::RSA_PKCS1_SHA256,
                        SignatureAlgorithm::RsaPkcs1v15(HashAlg::Sha256),
                    ),
                    (
                        SignatureScheme::RSA_PKCS1_SHA384,
                        SignatureAlgorithm::RsaPkcs1v15(HashAlg::Sha384),
                    ),
                    (
                        SignatureScheme::RSA_PKCS1_SHA512,
                        SignatureAlgorithm::RsaPkcs1v15(HashAlg::Sha512),
                    ),
                ] {
                    keys.push((scheme, key(alg)?));
                }
                (TlsAlgorithm::RSA, keys)
            }
            // TLS 1.3 ties the hash to the curve: P-256 with SHA-256, P-384 with SHA-384.
            SignatureAlgorithm::Ecdsa(HashAlg::Sha256) => (
                TlsAlgorithm::ECDSA,
                vec![(SignatureScheme::ECDSA_NISTP256_SHA256, Arc::new(probe))],
            ),
            SignatureAlgorithm::Ecdsa(HashAlg::Sha384) => (
                TlsAlgorithm::ECDSA,
                vec![(SignatureScheme::ECDSA_NISTP384_SHA384, Arc::new(probe))],
            ),
            SignatureAlgorithm::Ecdsa(HashAlg::Sha512) => (
                TlsAlgorithm::ECDSA,
                vec![(SignatureScheme::ECDSA_NISTP521_SHA512, Arc::new(probe))],
            ),
        };
        Ok(TokenIdentity {
            cert_der: cert.der.clone(),
            algorithm,
            keys,
            last_token_error: Mutex::new(None),
            presented: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The token error of the last failed handshake signature, if any (taken: reported once).
    pub fn take_token_error(&self) -> Option<sceau_token::Error> {
        self.last_token_error
            .lock()
            .map(|mut g| g.take())
            .unwrap_or_else(|poisoned| poisoned.into_inner().take())
    }

    fn record(&self, e: sceau_token::Error) {
        match self.last_token_error.lock() {
            Ok(mut g) => *g = Some(e),
            Err(poisoned) => *poisoned.into_inner() = Some(e),
        }
    }
}

/// The rustls view of the token key: chooses a scheme among those the server offers.
#[derive(Debug, Clone)]
pub struct TokenSigningKey {
    identity: Arc<TokenIdentity>,
}

impl SigningKey for TokenSigningKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let index = self
            .identity
            .keys
            .iter()
            .position(|(scheme, _)| offered.contains(scheme))?;
        let scheme = self.identity.keys[index].0;
        tracing::debug!(?scheme, "TLS client signature on the token");
        Some(Box::new(TokenTlsSigner {
            identity: self.identity.clone(),
            index,
        }))
    }

    fn algorithm(&self) -> TlsAlgorithm {
        self.identity.algorithm
    }
}

/// One signature of the handshake transcript with one scheme.
#[derive(Debug)]
struct TokenTlsSigner {
    identity: Arc<TokenIdentity>,
    index: usize,
}

impl Signer for TokenTlsSigner {
    fn sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, rustls::Error> {
        let (_, key) = &self.identity.keys[self.index];
        // The whole message: the token key hashes it with the scheme's hash.
        let run = || key.sign_blocking(message);
        // Tokio forbids blocking on its channels from a runtime thread: wait from a scoped
        // thread (joining it is a plain OS wait of a few milliseconds, once per connection).
        // Not `block_in_place`: a batch's connections are made inside the task that runs the
        // batch (the CLI's `block_on`), and with four of them signing at once a CI run hung
        // after its uploads with no timer left in the runtime (see ARCHITECTURE.md).
        let result = match tokio::runtime::Handle::try_current() {
            Ok(_) => std::thread::scope(|scope| {
                scope
                    .spawn(run)
                    .join()
                    .unwrap_or(Err(sceau_token::Error::WorkerGone))
            }),
            Err(_) => run(),
        };
        match result {
            Ok(sig) => {
                self.identity
                    .presented
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                Ok(sig.as_bytes().to_vec())
            }
            Err(e) => {
                let msg = format!("token signature failed: {e}");
                self.identity.record(e);
                Err(rustls::Error::General(msg))
            }
        }
    }

    fn scheme(&self) -> SignatureScheme {
        self.identity.keys[self.index].0
    }
}

/// Presents the token's certificate whenever the server asks for one.
#[derive(Debug, Clone)]
pub struct TokenCertResolver {
    key: Arc<CertifiedKey>,
}

impl TokenCertResolver {
    /// A resolver presenting `identity`.
    pub fn new(identity: Arc<TokenIdentity>) -> Self {
        let cert = CertificateDer::from(identity.cert_der.clone());
        TokenCertResolver {
            key: Arc::new(CertifiedKey::new(
                vec![cert],
                Arc::new(TokenSigningKey { identity }),
            )),
        }
    }
}

impl ResolvesClientCert for TokenCertResolver {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        // Without a common scheme, sending the certificate would only make the handshake fail
        // later; rustls then sends no certificate and the server says why.
        self.key
            .key
            .choose_scheme(sigschemes)
            .map(|_| self.key.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A rustls client configuration (ring provider) trusting only `vault_ca_der` and presenting
/// the token's certificate.
pub fn rustls_config(
    identity: Arc<TokenIdentity>,
    vault_ca_der: &[u8],
    versions: TlsVersions,
) -> Result<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(vault_ca_der.to_vec()))
        .map_err(|e| Error::BadVaultCa {
            detail: e.to_string(),
        })?;
    let versions: &[&'static rustls::SupportedProtocolVersion] = match versions {
        TlsVersions::Both => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersions::Tls12Only => &[&rustls::version::TLS12],
        TlsVersions::Tls13Only => &[&rustls::version::TLS13],
    };
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_protocol_versions(versions)
        .map_err(|e| Error::Config {
            detail: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(TokenCertResolver::new(identity)));
    Ok(config)
}

/// Every error in `e`'s chain, looking inside `io::Error`s (whose `source()` skips the error
/// they wrap).
fn chain<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut cur = Some(e);
    while let Some(c) = cur {
        out.push(c);
        if out.len() > 32 {
            break;
        }
        if let Some(inner) = c
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            cur = Some(inner as &(dyn std::error::Error + 'static));
            continue;
        }
        cur = c.source();
    }
    out
}

/// Turns a transport failure into the error a user can act on: the token's own error first
/// (a wrong PIN makes the handshake fail), then certificate trust, refusal, reachability.
pub fn classify(e: &reqwest::Error, identity: &TokenIdentity) -> Error {
    if let Some(token) = identity.take_token_error() {
        return Error::Token(token);
    }
    let links = chain(e);
    let detail = links
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join(": ");
    for link in &links {
        if let Some(tls) = link.downcast_ref::<rustls::Error>() {
            return match tls {
                rustls::Error::InvalidCertificate(_) => Error::ServerNotTrusted { detail },
                rustls::Error::AlertReceived(
                    AlertDescription::BadCertificate
                    | AlertDescription::UnknownCA
                    | AlertDescription::CertificateRequired
                    | AlertDescription::UnsupportedCertificate
                    | AlertDescription::CertificateRevoked
                    | AlertDescription::CertificateExpired
                    | AlertDescription::CertificateUnknown
                    | AlertDescription::AccessDenied
                    | AlertDescription::DecryptError
                    | AlertDescription::HandshakeFailure,
                ) => Error::ClientCertificateRefused { detail },
                _ => Error::Http { detail },
            };
        }
    }
    if e.is_connect() {
        return Error::Unreachable { detail };
    }
    if e.is_timeout() {
        return Error::Timeout { detail };
    }
    // The request was canceled before it could be sent: its new connection closed right after
    // a handshake in which the token's certificate was presented. That is how a TLS 1.3 server
    // refuses a client certificate when its alert reaches the connection before the request
    // does (the alert itself is then not in the error); with TLS 1.2 the alert ends the
    // handshake and is matched above.
    let canceled = links.iter().any(|l| {
        l.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_canceled)
    });
    if canceled
        && identity
            .presented
            .swap(false, std::sync::atomic::Ordering::Relaxed)
    {
        return Error::ClientCertificateRefused { detail };
    }
    Error::Http { detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_looks_inside_io_errors() {
        // rustls errors reach reqwest wrapped in an io::Error, whose source() skips them.
        let inner = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
        let links = chain(&io);
        assert_eq!(links.len(), 2);
        assert!(links[1].downcast_ref::<rustls::Error>().is_some());
    }
}
