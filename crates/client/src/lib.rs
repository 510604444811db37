//! HTTPS to the vault: the TLS identity — a rustls client configuration whose client key is
//! the token's authentication key, with the vault's CA pinned — a reqwest client built on it,
//! and typed calls for every office endpoint (streamed uploads with progress, the event feed).

mod api;
mod error;
mod tls;

pub use api::{
    file_sha256, InvitationAction, RecipientCreation, RecipientQuery, ServiceQuery, CALL_TIMEOUT,
    UPLOAD_CHUNK, UPLOAD_FLOOR_BYTES_PER_SEC,
};

pub use error::{Error, Result};
pub use tls::{
    classify, rustls_config, TlsVersions, TokenCertResolver, TokenIdentity, TokenSigningKey,
};

use std::sync::Arc;

/// Time to open a connection to the vault, TLS handshake included (the token signs in it).
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A reqwest client whose TLS is [`rustls_config`]: the token's certificate and the pinned CA.
#[derive(Debug, Clone)]
pub struct VaultClient {
    http: reqwest::Client,
    identity: Arc<TokenIdentity>,
    base_url: String,
    call_timeout: std::time::Duration,
}

impl VaultClient {
    /// Builds the client (no network access yet).
    pub fn new(
        identity: TokenIdentity,
        vault_ca_der: &[u8],
        versions: TlsVersions,
    ) -> Result<Self> {
        let identity = Arc::new(identity);
        let config = rustls_config(identity.clone(), vault_ca_der, versions)?;
        // By value: an `Arc<ClientConfig>` compiles but fails at build() ("Unknown TLS backend").
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(config)
            // A vault that does not accept the connection in this time is out of reach (each
            // call also has its own limit: `api::CALL_TIMEOUT`).
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| Error::Config {
                detail: e.to_string(),
            })?;
        Ok(VaultClient {
            http,
            identity,
            base_url: String::new(),
            call_timeout: api::CALL_TIMEOUT,
        })
    }

    /// The same client addressing the vault at `base_url` (e.g. `https://127.0.0.1:8443`) for
    /// the typed calls.
    pub fn with_base_url(mut self, base_url: &str) -> Self {
        self.base_url = base_url.trim_end_matches('/').to_owned();
        self
    }

    /// The same client with another limit per call than [`api::CALL_TIMEOUT`] (the limits of
    /// uploads and downloads follow from it).
    pub fn with_call_timeout(mut self, limit: std::time::Duration) -> Self {
        self.call_timeout = limit;
        self
    }

    /// The vault's address.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The underlying reqwest client (for the upload and sync code to come).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// GETs `url` and returns the body as text; an error status is an error.
    pub async fn get_text(&self, url: &str) -> Result<String> {
        let resp = self
            .http
            .get(url)
            .timeout(self.call_timeout)
            .send()
            .await
            .map_err(|e| classify(&e, &self.identity))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(Error::Status {
                status: status.as_u16(),
            });
        }
        resp.text().await.map_err(|e| classify(&e, &self.identity))
    }
}
