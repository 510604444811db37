//! The recipients' portal: server-rendered French pages that work without JavaScript, served on
//! their own TLS listener without client certificates (office routes stay on the mutual-TLS
//! listener and are not part of this router).
//!
//! 1. `GET /portail/acces/{token}`: the per-recipient link from the e-mail (stored as a SHA-256,
//!    with an expiry). A one-time code is sent by SMS (by e-mail when there is no mobile) and a
//!    form asks for it.
//! 2. `POST /portail/acces/{token}`: the code is short-lived, single use, and wrong codes are
//!    counted per link: at the limit the link is locked. A right code opens a session (random
//!    id, stored hashed; cookie `Secure; HttpOnly; SameSite=Strict`).
//! 3. `GET /portail/actes`: the recipient's acts as cards (one column on a phone); each can be
//!    viewed in the browser (`inline`) or downloaded (`attachment`), or downloaded with its
//!    signature and the deposit attestation (the sealed archive); the first view or download is
//!    the consultation recorded at the vault's time. `GET /portail/actes/{id}`: the act's page —
//!    the office (commissaire, étude, number), the nature, the state explained with its dates,
//!    the signature verified again as at the deposit (signer, time, certificate) with its
//!    `.p7s` (`/signature/{name}`), the return form, help for an act one does not recognise.
//!    Every page of a session says until when it lasts and carries "Se déconnecter".
//! 4. `POST /portail/actes/{id}/retour`: a return (PDF, optional JSON answer) where the nature
//!    expects one.
//!
//! Every form carries a CSRF token (double-submit cookie before login, the session's token
//! after). Every access is written to the audit table. Every lookup of an act is scoped to the
//! session's recipient, so another recipient's act answers "introuvable" like a missing one.

mod act;
mod acts;
mod audit;
mod consent;
mod downloads;
mod html;
mod login;
mod purge;
mod returns;
mod session;
mod signature;
mod style;

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};

use acts::acts;
pub use audit::{audit_gate, AuditLog, AUDIT_QUEUE};
pub use consent::CONSENT_FOLDER;
use downloads::{document, package};
use html::page;
use login::{access, verify};
pub use login::{judge_code, CodeOutcome};
pub use purge::{purge_expired, run_purge};
use returns::deposit_return;
use session::logout;
pub(crate) use session::random_token;

use crate::error::{config, ConfigError, Result};
use crate::Vault;

/// Session cookie name.
pub const SESSION_COOKIE: &str = "sceau_portail";

/// Pre-login CSRF cookie name.
pub const CSRF_COOKIE: &str = "sceau_csrf";

/// The portal's routes.
pub fn router() -> Router<Arc<Vault>> {
    Router::new()
        .route("/portail/acces/{token}", get(access).post(verify))
        .route("/portail/actes", get(acts))
        .route("/portail/actes/{id}", get(act::act))
        .route("/portail/actes/{id}/document/{name}", get(document))
        .route(
            "/portail/actes/{id}/signature/{name}",
            get(signature::signature_file),
        )
        .route("/portail/actes/{id}/paquet", get(package))
        .route("/portail/actes/{id}/flux", get(downloads::flow))
        .route(
            "/portail/actes/{id}/retour",
            post(deposit_return).layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024)),
        )
        .route("/portail/deconnexion", post(logout))
        .route(
            "/portail/consentement/{token}",
            get(consent::show).post(consent::answer),
        )
        .route(
            "/portail/consentement/{token}/codes",
            post(consent::send_codes),
        )
        .route(
            "/portail/consentement/{token}/{file}",
            get(consent::declaration_file),
        )
        .fallback(|| async {
            page(
                StatusCode::NOT_FOUND,
                "Page introuvable",
                "<p>Cette page n'existe pas.</p>",
            )
        })
}

/// The portal's TLS configuration: the vault's server certificate, no client certificate asked.
pub fn tls_config(vault: &Vault) -> Result<rustls::ServerConfig> {
    let dir = &vault.config.data_dir;
    let chain = crate::keys::load_cert_ders(&dir.join(crate::keys::files::SERVER_CERT))?
        .into_iter()
        .map(rustls::pki_types::CertificateDer::from)
        .collect();
    let pem = std::fs::read_to_string(dir.join(crate::keys::files::SERVER_KEY)).map_err(config)?;
    let (_, der) = der::pem::decode_vec(pem.as_bytes()).map_err(config)?;
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(der.into());
    let mut cfg = rustls::ServerConfig::builder_with_provider(crate::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(config)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| config(ConfigError::ServerCertificate(e)))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(cfg)
}

/// Answers 429 (in French, with `Retry-After`) a client address over its budget of the minute
/// ([`crate::ratelimit`]); a request without a known address (tests of the router) passes.
pub async fn rate_gate(
    State(vault): State<Arc<Vault>>,
    Extension(limiter): Extension<Arc<crate::ratelimit::RateLimiter>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let Some(peer) = req
        .extensions()
        .get::<crate::ratelimit::PeerAddr>()
        .copied()
    else {
        return next.run(req).await;
    };
    match limiter.check(peer.0.ip(), vault.clock.now()) {
        crate::ratelimit::Verdict::Allowed => next.run(req).await,
        crate::ratelimit::Verdict::Refused { retry_after } => {
            tracing::warn!("portal request refused: over the address's budget");
            let mut r = page(
                StatusCode::TOO_MANY_REQUESTS,
                "Trop de demandes",
                "<p class=\"erreur\">Trop de demandes sont venues de votre connexion en peu de \
                 temps. Réessayez dans une minute.</p>",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
            r
        }
    }
}
