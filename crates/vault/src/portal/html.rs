//! The portal's HTML: escaping, the page frame with its security headers, and the pages
//! every part of the portal answers with (internal error, expired form, session needed,
//! unknown act).

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::session::Session;
use super::style::{CSP, STYLE};

/// Escapes text for HTML.
pub(super) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

pub(super) fn security_headers(h: &mut HeaderMap) {
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    if let Ok(csp) = HeaderValue::from_str(&CSP) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::CACHE_CONTROL, "no-store");
}

pub(super) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    frame(status, title, body, "")
}

/// A page of a logged-in recipient: the header says until when the session lasts without
/// activity and carries "Se déconnecter".
pub(super) fn session_page(
    status: StatusCode,
    title: &str,
    body: &str,
    s: &Session,
    now: DateTime<Utc>,
) -> Response {
    let left = (s.expires_at - now).num_minutes().max(1);
    let bar = format!(
        "<div class=\"session\"><p>Session ouverte jusqu'à {until} sans activité \
         (encore {left} min)</p><form method=\"post\" action=\"/portail/deconnexion\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{c}\">\
         <button type=\"submit\" class=\"second\">Se déconnecter</button></form></div>",
        until = s
            .expires_at
            .with_timezone(&sceau_core::PARIS)
            .format("%H:%M"),
        c = esc(&s.csrf)
    );
    frame(status, title, body, &bar)
}

fn frame(status: StatusCode, title: &str, body: &str, bar: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} — Coffre-fort Sceau</title><style>{STYLE}</style></head><body>\
         <header class=\"bandeau\"><div class=\"bandeau-int\"><p class=\"marque\">\
         Coffre-fort électronique Sceau — espace destinataire</p>{bar}</div></header>\
         <main><h1>{t}</h1>{body}</main></body></html>",
        t = esc(title)
    );
    let mut r = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    security_headers(r.headers_mut());
    r
}

pub(super) fn internal() -> Response {
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Erreur",
        "<p class=\"erreur\">Une erreur interne est survenue. Réessayez dans quelques minutes.</p>",
    )
}

pub(super) fn forbidden_csrf() -> Response {
    page(
        StatusCode::FORBIDDEN,
        "Formulaire expiré",
        "<p class=\"erreur\">Ce formulaire a expiré ou ne vient pas de ce site. Rechargez la page \
         et recommencez.</p>",
    )
}

pub(super) fn login_needed() -> Response {
    page(
        StatusCode::UNAUTHORIZED,
        "Session expirée",
        "<p class=\"erreur\">Votre session a expiré ou vous n'êtes pas connecté. Ouvrez à nouveau \
         le lien reçu par courriel.</p>",
    )
}

pub(super) fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Document introuvable",
        "<p class=\"erreur\">Ce document n'existe pas ou ne vous est pas destiné.</p>",
    )
}
