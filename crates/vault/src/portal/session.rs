//! Sessions: cookies, random tokens, the CSRF check, the session of a request, and logout.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use base64::Engine;
use rand_core::{OsRng, RngCore};
use serde::Deserialize;

use super::html::{forbidden_csrf, login_needed, page};
use super::{AuditLog, SESSION_COOKIE};
use crate::notify::token_hash;
use crate::store::meta;
use crate::Vault;

pub(super) fn cookie(name: &str, value: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/portail; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

pub(super) fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub(crate) fn random_token() -> String {
    let mut raw = [0u8; 32];
    OsRng.fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

pub(super) fn csrf_ok(expected: Option<&str>, got: &str) -> bool {
    match expected {
        Some(e) if !e.is_empty() && e.len() == got.len() => {
            e.bytes()
                .zip(got.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        }
        _ => false,
    }
}

/// A portal session.
#[derive(Debug, Clone)]
pub(super) struct Session {
    /// The recipient.
    pub recipient_id: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// When it ends without activity.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

pub(super) async fn session(vault: &Arc<Vault>, headers: &HeaderMap) -> Option<Session> {
    let sid = read_cookie(headers, SESSION_COOKIE)?;
    let now = vault.clock.now();
    let minutes = i64::from(vault.config.portal.session_minutes);
    let h = token_hash(&sid);
    let (recipient_id, csrf, expires) = vault
        .db_read({
            let h = h.clone();
            move |sql| meta::session(sql, &h, now)
        })
        .await
        .ok()
        .flatten()?;
    // Sliding expiry, written only once half of it is used (no write on every request).
    let mut expires_at = expires;
    if expires - now < chrono::Duration::minutes(minutes) / 2 {
        let until = now + chrono::Duration::minutes(minutes);
        vault
            .db(move |sql| meta::touch_session(sql, &h, until))
            .await
            .ok()?;
        expires_at = until;
    }
    Some(Session {
        recipient_id,
        csrf,
        expires_at,
    })
}

/// `POST /portail/deconnexion`.
pub(super) async fn logout(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let Some(s) = session(&vault, &headers).await else {
        return login_needed();
    };
    if !csrf_ok(Some(&s.csrf), &form.csrf) {
        return forbidden_csrf();
    }
    if let Some(sid) = read_cookie(&headers, SESSION_COOKIE) {
        let h = token_hash(&sid);
        let _ = vault.db(move |sql| meta::delete_session(sql, &h)).await;
    }
    log.record(&vault, Some(&s.recipient_id), "logout", None, true);
    let mut r = page(
        StatusCode::OK,
        "Déconnecté",
        "<p>Vous êtes déconnecté. Vous pouvez fermer cette fenêtre.</p>",
    );
    r.headers_mut()
        .append(header::SET_COOKIE, cookie(SESSION_COOKIE, "", 0));
    r
}

/// A form with only a CSRF token.
#[derive(Debug, Deserialize)]
pub(super) struct CsrfOnly {
    /// CSRF token.
    pub csrf: String,
}
