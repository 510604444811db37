//! Mutual TLS. The handshake asks for a client certificate and checks that the client holds its
//! key (the handshake signature), but does not refuse a certificate for its chain or dates: that
//! check runs in the application ([`ClientChecker`]) so that an expired, revoked or foreign
//! certificate gets an answer with its own code instead of a bare TLS alert, and so that it
//! uses the vault's injectable clock.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme,
};

use crate::error::{config, ConfigError, Error, Result};

/// The ring provider (never aws-lc-rs).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Accepts any client certificate whose key signed the handshake; chain checks come later.
#[derive(Debug)]
struct ProvenKey {
    hints: Vec<DistinguishedName>,
    algs: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for ProvenKey {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        // Without a certificate the client still gets a `certificate_missing` answer.
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> std::result::Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// Checks client certificates against the configured CAs and revocation list.
#[derive(Debug, Clone)]
pub struct ClientChecker {
    webpki: Arc<dyn ClientCertVerifier>,
    revoked: Vec<String>,
}

impl ClientChecker {
    /// A checker trusting `ca_ders` and refusing the serials in `revoked` (lower-case hex).
    pub fn new(ca_ders: &[Vec<u8>], revoked: &[String]) -> Result<Self> {
        let mut roots = RootCertStore::empty();
        for der in ca_ders {
            roots
                .add(CertificateDer::from(der.clone()))
                .map_err(|e| config(ConfigError::ClientCa(e)))?;
        }
        let webpki = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|e| config(ConfigError::ClientVerifier(e)))?;
        Ok(ClientChecker {
            webpki,
            revoked: revoked.iter().map(|s| s.to_lowercase()).collect(),
        })
    }

    /// Checks the chain `certs` (end entity first) at time `now`.
    pub fn check(
        &self,
        certs: &[CertificateDer<'static>],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let (ee, rest) = certs.split_first().ok_or(Error::CertificateMissing)?;
        let secs = u64::try_from(now.timestamp()).unwrap_or(0);
        let now = UnixTime::since_unix_epoch(Duration::from_secs(secs));
        match self.webpki.verify_client_cert(ee, rest, now) {
            Ok(_) => {}
            Err(rustls::Error::InvalidCertificate(
                CertificateError::Expired
                | CertificateError::NotValidYet
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYetContext { .. },
            )) => return Err(Error::CertificateExpired),
            Err(rustls::Error::InvalidCertificate(CertificateError::Revoked)) => {
                return Err(Error::CertificateRevoked)
            }
            Err(e) => return Err(Error::CertificateUntrusted(e.to_string())),
        }
        let serial = crate::peer::serial_hex(ee.as_ref())?;
        if self.revoked.contains(&serial) {
            return Err(Error::CertificateRevoked);
        }
        Ok(())
    }

    fn hints(&self) -> Vec<DistinguishedName> {
        self.webpki.root_hint_subjects().to_vec()
    }
}

/// The TLS server configuration: the vault's server certificate, client certificates asked
/// for (hinting the configured CAs), TLS 1.2 and 1.3, HTTP/1.1 and HTTP/2.
pub fn server_config(
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    checkers: &[&ClientChecker],
) -> Result<rustls::ServerConfig> {
    let provider = provider();
    let mut hints: Vec<DistinguishedName> = Vec::new();
    for h in checkers.iter().flat_map(|c| c.hints()) {
        if !hints.iter().any(|k| k.as_ref() == h.as_ref()) {
            hints.push(h);
        }
    }
    let verifier = Arc::new(ProvenKey {
        hints,
        algs: provider.signature_verification_algorithms,
    });
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(config)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(cert_chain, key)
        .map_err(|e| config(ConfigError::ServerCertificate(e)))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(cfg)
}
