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
//! 3. `GET /portail/actes`: the recipient's acts; each can be viewed in the browser, downloaded,
//!    or downloaded with its signature and the deposit attestation (the sealed archive); the
//!    first view or download is the consultation recorded at the vault's time.
//! 4. `POST /portail/actes/{id}/retour`: a return (PDF, optional JSON answer) where the nature
//!    expects one.
//!
//! Every form carries a CSRF token (double-submit cookie before login, the session's token
//! after). Every access is written to the audit table. Every lookup of an act is scoped to the
//! session's recipient, so another recipient's act answers "introuvable" like a missing one.

use std::sync::Arc;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use base64::Engine;
use rand_core::{OsRng, RngCore};
use sceau_core::naming::format_paris;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::delivery::{self, Channel};
use crate::error::{Error, Result};
use crate::notify::{self, token_hash};
use crate::second_factor::{self, SecondFactor};
use crate::store::meta::{self, DepositRow, RecipientRow};
use crate::store::sql::Sql;
use crate::Vault;
use chrono::{DateTime, Utc};

/// Session cookie name.
pub const SESSION_COOKIE: &str = "sceau_portail";
/// Pre-login CSRF cookie name.
pub const CSRF_COOKIE: &str = "sceau_csrf";

/// The portal's routes.
pub fn router() -> Router<Arc<Vault>> {
    Router::new()
        .route("/portail/acces/{token}", get(access).post(verify))
        .route("/portail/actes", get(acts))
        .route("/portail/actes/{id}/document/{name}", get(document))
        .route("/portail/actes/{id}/paquet", get(package))
        .route(
            "/portail/actes/{id}/retour",
            post(deposit_return).layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024)),
        )
        .route("/portail/deconnexion", post(logout))
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
    let pem = std::fs::read_to_string(dir.join(crate::keys::files::SERVER_KEY))
        .map_err(|e| Error::Config(e.to_string()))?;
    let (_, der) =
        der::pem::decode_vec(pem.as_bytes()).map_err(|e| Error::Config(e.to_string()))?;
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(der.into());
    let mut cfg = rustls::ServerConfig::builder_with_provider(crate::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| Error::Config(format!("server certificate: {e}")))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(cfg)
}

// ---------------------------------------------------------------------------------------------
// Pages

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
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

fn security_headers(h: &mut HeaderMap) {
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::CACHE_CONTROL, "no-store");
}

const STYLE: &str = "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;\
color:#1b1b1b}h1{font-size:1.5rem}table{border-collapse:collapse;width:100%}td,th{border:1px \
solid #bbb;padding:.4rem;text-align:left}.erreur{color:#a00}.info{color:#064}";

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} — Coffre-fort Sceau</title><style>{STYLE}</style></head><body>\
         <header><p>Coffre-fort électronique Sceau — espace destinataire</p></header>\
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

fn cookie(name: &str, value: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/portail; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn random_token() -> String {
    let mut raw = [0u8; 32];
    OsRng.fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn random_code() -> String {
    // Rejection sampling: uniform over 000000..=999999.
    loop {
        let v = OsRng.next_u32();
        if v < 4_294_000_000 {
            return format!("{:06}", v % 1_000_000);
        }
    }
}

fn code_hash(link_hash: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{link_hash}:{code}").as_bytes()))
}

/// The portal's audit trail: every access is queued here and written by one task, many lines
/// per transaction (a commit per request would put an fsync on every page). The queue is
/// bounded ([`AUDIT_QUEUE`] lines) and the portal fails closed: while it is full, or since the
/// last write failed, requests are answered 503 ([`audit_gate`]) — no access goes unrecorded.
#[derive(Clone)]
pub struct AuditLog {
    tx: tokio::sync::mpsc::Sender<AuditMsg>,
    /// Whether the last write succeeded.
    healthy: Arc<std::sync::atomic::AtomicBool>,
}

/// Audit lines waiting to be written, at most.
pub const AUDIT_QUEUE: usize = 10_000;

enum AuditMsg {
    Line {
        at: chrono::DateTime<chrono::Utc>,
        recipient: Option<String>,
        action: String,
        deposit: Option<String>,
        ok: bool,
    },
    Flush(tokio::sync::oneshot::Sender<()>),
}

impl AuditLog {
    /// Starts the writer task (on the current tokio runtime).
    pub fn start(vault: Arc<Vault>) -> AuditLog {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<AuditMsg>(AUDIT_QUEUE);
        let healthy = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let health = healthy.clone();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < 1000 {
                    match rx.try_recv() {
                        Ok(m) => batch.push(m),
                        Err(_) => break,
                    }
                }
                let mut lines = Vec::new();
                let mut flushes = Vec::new();
                for m in batch {
                    match m {
                        AuditMsg::Line {
                            at,
                            recipient,
                            action,
                            deposit,
                            ok,
                        } => lines.push((at, recipient, action, deposit, ok)),
                        AuditMsg::Flush(done) => flushes.push(done),
                    }
                }
                if !lines.is_empty() {
                    let written = vault
                        .db(move |sql| {
                            for (at, r, a, d, ok) in &lines {
                                meta::insert_audit(sql, *at, r.as_deref(), a, d.as_deref(), *ok)?;
                            }
                            Ok(())
                        })
                        .await;
                    if let Err(e) = &written {
                        tracing::error!(code = e.code(), "audit write failed");
                    }
                    health.store(written.is_ok(), std::sync::atomic::Ordering::SeqCst);
                }
                for f in flushes {
                    let _ = f.send(());
                }
            }
        });
        AuditLog { tx, healthy }
    }

    /// Whether accesses can be recorded now (the last write succeeded and the queue has room).
    pub fn accepting(&self) -> bool {
        self.healthy.load(std::sync::atomic::Ordering::SeqCst) && self.tx.capacity() > 0
    }

    /// Queues one audit line (and logs it without personal data).
    pub fn record(
        &self,
        vault: &Vault,
        recipient: Option<&str>,
        action: &str,
        deposit: Option<&str>,
        ok: bool,
    ) {
        tracing::info!(action, ok, "portal access");
        // Full only under a flood the gate is already refusing: the line is logged above.
        let _ = self.tx.try_send(AuditMsg::Line {
            at: vault.clock.now(),
            recipient: recipient.map(str::to_owned),
            action: action.to_owned(),
            deposit: deposit.map(str::to_owned),
            ok,
        });
    }

    /// Waits until every line queued before this call is written.
    pub async fn flush(&self) {
        let (done, wait) = tokio::sync::oneshot::channel();
        if self.tx.send(AuditMsg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// Refuses every portal request (503) while the audit trail cannot record it; the refusal
/// itself is queued when there is room, so that the first successful write reopens the portal.
pub async fn audit_gate(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if log.accepting() {
        return next.run(req).await;
    }
    log.record(&vault, None, "audit_unavailable", None, false);
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Service momentanément indisponible",
        "<p class=\"erreur\">Le portail ne peut pas enregistrer votre accès pour le moment : \
         réessayez dans quelques minutes.</p>",
    )
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

fn internal() -> Response {
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Erreur",
        "<p class=\"erreur\">Une erreur interne est survenue. Réessayez dans quelques minutes.</p>",
    )
}

fn invalid_link() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Lien invalide",
        "<p class=\"erreur\">Ce lien n'est pas valide ou a expiré. Utilisez le lien du dernier \
         courriel reçu, ou demandez-en un nouveau à l'étude qui vous a signifié l'acte.</p>",
    )
}

fn locked() -> Response {
    page(
        StatusCode::FORBIDDEN,
        "Accès bloqué",
        "<p class=\"erreur\">Trop de codes erronés ont été saisis : ce lien est bloqué. Contactez \
         l'étude qui vous a signifié l'acte pour recevoir un nouveau lien.</p>",
    )
}

fn code_form(token: &str, csrf: &str, message: &str, factor: &SecondFactor) -> String {
    format!(
        "{message}{why}<form method=\"post\" action=\"/portail/acces/{t}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{c}\">\
         <p><label for=\"code\">Code reçu (6 chiffres)</label> \
         <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" \
         pattern=\"[0-9]{{6}}\" maxlength=\"6\" required></p>{field}\
         <p><button type=\"submit\">Valider</button></p></form>",
        why = factor.why_fr(),
        field = factor.field_html(),
        t = esc(token),
        c = esc(csrf)
    )
}

/// The recipient's card and what they must prove besides the link; the page to answer
/// instead when they cannot log in online (one channel, nothing known to ask).
async fn recipient_factor(
    vault: &Vault,
    log: &AuditLog,
    recipient: &str,
) -> std::result::Result<(RecipientRow, SecondFactor), Response> {
    let rid = recipient.to_owned();
    let Ok(Some(r)) = vault.db(move |sql| meta::recipient(sql, &rid)).await else {
        return Err(internal());
    };
    let factor = SecondFactor::of(&r);
    if factor == SecondFactor::Unavailable {
        log.record(vault, Some(recipient), "second_factor_missing", None, false);
        return Err(no_second_factor());
    }
    Ok((r, factor))
}

/// The page of a recipient who has one channel and nothing else the vault could ask.
fn no_second_factor() -> Response {
    page(
        StatusCode::FORBIDDEN,
        "Connexion en ligne impossible",
        "<p class=\"erreur\">Nous ne disposons que d'un seul moyen de vous joindre et d'aucun \
         identifiant pour confirmer votre identité : pour votre sécurité, la connexion en ligne \
         n'est pas possible.</p><p>Communiquez à l'étude qui vous a signifié l'acte votre numéro \
         de téléphone mobile (ou votre numéro SIREN pour une entreprise), puis rouvrez ce lien. \
         L'acte reste déposé dans votre coffre-fort.</p>",
    )
}

// ---------------------------------------------------------------------------------------------
// Access: link, code, session

/// `GET /portail/acces/{token}`.
pub async fn access(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    Path(token): Path<String>,
) -> Response {
    let now = vault.clock.now();
    let link = token_hash(&token);
    let l = link.clone();
    let recipient = match vault
        .db(move |sql| meta::link_recipient(sql, &l, now))
        .await
    {
        Ok(Some(r)) => r,
        Ok(None) => {
            log.record(&vault, None, "link_invalid", None, false);
            return invalid_link();
        }
        Err(_) => return internal(),
    };
    let l = link.clone();
    let state = match vault.db(move |sql| meta::code_state(sql, &l)).await {
        Ok(s) => s,
        Err(_) => return internal(),
    };
    let max = i64::from(vault.config.portal.max_code_attempts);
    if state.as_ref().is_some_and(|s| s.attempts >= max) {
        log.record(&vault, Some(&recipient), "link_locked", None, false);
        return locked();
    }
    let (r, factor) = match recipient_factor(&vault, &log, &recipient).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let message;
    // A code still valid and unused is not sent again (a reload does not flood the phone).
    if state
        .as_ref()
        .is_some_and(|s| !s.used && s.expires_at > now)
    {
        message = "<p class=\"info\">Un code vous a déjà été envoyé ; il reste valable quelques \
                   minutes.</p>"
            .to_owned();
    } else {
        let code = random_code();
        let expires = now + chrono::Duration::minutes(i64::from(vault.config.portal.code_minutes));
        let stored = code_hash(
            &link,
            &second_factor::secret(&code, &factor, factor.expected()),
        );
        let l = link.clone();
        if vault
            .db(move |sql| meta::set_code(sql, &l, &stored, expires))
            .await
            .is_err()
        {
            return internal();
        }
        let minutes = vault.config.portal.code_minutes;
        let text = format!(
            "Sceau : votre code de connexion au coffre-fort est {code}. Il expire dans {minutes} \
             minutes. Ne le communiquez à personne."
        );
        let sent = match (&r.phone_mobile, &r.email) {
            (Some(m), _) => notify::send_sms(vault.config.sms.as_ref(), m, &text)
                .await
                .map(|()| "par SMS"),
            (None, Some(e)) => notify::send_email(
                vault.config.smtp.as_ref(),
                e,
                "Votre code de connexion au coffre-fort Sceau",
                &format!("Bonjour,\n\n{text}\n\nCoffre-fort Sceau\n"),
            )
            .await
            .map(|()| "par courriel"),
            (None, None) => Err(notify::SendError("aucun contact".into())),
        };
        match sent {
            Ok(how) => {
                message = format!(
                    "<p class=\"info\">Un code à usage unique vient de vous être envoyé {how}. \
                     Il expire dans {minutes} minutes.</p>"
                );
            }
            Err(_) => {
                log.record(&vault, Some(&recipient), "code_not_sent", None, false);
                return page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Code non envoyé",
                    "<p class=\"erreur\">Le code de connexion n'a pas pu vous être envoyé. \
                     Réessayez dans quelques minutes en rouvrant ce lien.</p>",
                );
            }
        }
    }
    log.record(&vault, Some(&recipient), "link_opened", None, true);
    let csrf = random_token();
    let mut r = page(
        StatusCode::OK,
        "Confirmez votre identité",
        &code_form(&token, &csrf, &message, &factor),
    );
    r.headers_mut()
        .append(header::SET_COOKIE, cookie(CSRF_COOKIE, &csrf, 3600));
    r
}

/// The code form.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    /// The code typed.
    pub code: String,
    /// The identifier asked when the recipient has one channel only (SIREN, NIR).
    #[serde(default)]
    pub reponse: Option<String>,
    /// CSRF token (must equal the cookie's).
    pub csrf: String,
}

fn csrf_ok(expected: Option<&str>, got: &str) -> bool {
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

fn forbidden_csrf() -> Response {
    page(
        StatusCode::FORBIDDEN,
        "Formulaire expiré",
        "<p class=\"erreur\">Ce formulaire a expiré ou ne vient pas de ce site. Rechargez la page \
         et recommencez.</p>",
    )
}

/// `POST /portail/acces/{token}`.
pub async fn verify(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    if !csrf_ok(read_cookie(&headers, CSRF_COOKIE).as_deref(), &form.csrf) {
        log.record(&vault, None, "csrf_refused", None, false);
        return forbidden_csrf();
    }
    let now = vault.clock.now();
    let link = token_hash(&token);
    let l = link.clone();
    let Ok(lookup) = vault
        .db(move |sql| meta::link_recipient(sql, &l, now))
        .await
    else {
        return internal();
    };
    let Some(recipient) = lookup else {
        log.record(&vault, None, "link_invalid", None, false);
        return invalid_link();
    };
    let max = i64::from(vault.config.portal.max_code_attempts);
    let factor = match recipient_factor(&vault, &log, &recipient).await {
        Ok((_, factor)) => factor,
        Err(page) => return page,
    };
    let typed = second_factor::secret(form.code.trim(), &factor, form.reponse.as_deref());
    let (l, h) = (link.clone(), code_hash(&link, &typed));
    let outcome = vault.db(move |sql| judge_code(sql, &l, &h, max, now)).await;
    // The form is shown again with the same token (it already matches the cookie).
    let again = |msg: &str, status: StatusCode| {
        page(
            status,
            "Confirmez votre identité",
            &code_form(&token, &form.csrf, msg, &factor),
        )
    };
    match outcome {
        Err(_) => internal(),
        Ok(CodeOutcome::Locked) => {
            log.record(&vault, Some(&recipient), "code_locked", None, false);
            locked()
        }
        Ok(CodeOutcome::NoCode | CodeOutcome::Expired) => {
            log.record(&vault, Some(&recipient), "code_expired", None, false);
            page(
                StatusCode::UNAUTHORIZED,
                "Code expiré",
                &format!(
                    "<p class=\"erreur\">Ce code n'est plus valable (déjà utilisé ou expiré). \
                     <a href=\"/portail/acces/{}\">Recevoir un nouveau code</a>.</p>",
                    esc(&token)
                ),
            )
        }
        Ok(CodeOutcome::Wrong(left)) => {
            log.record(&vault, Some(&recipient), "code_wrong", None, false);
            again(
                &format!(
                    "<p class=\"erreur\">{what} incorrect. Il vous reste {left} essai(s) avant \
                     le blocage de ce lien.</p>",
                    what = if factor.expected().is_some() {
                        "Code ou identifiant"
                    } else {
                        "Code"
                    }
                ),
                StatusCode::UNAUTHORIZED,
            )
        }
        Ok(CodeOutcome::Right) => {
            let sid = random_token();
            let scsrf = random_token();
            let minutes = i64::from(vault.config.portal.session_minutes);
            let expires = now + chrono::Duration::minutes(minutes);
            let (sh, rid, c) = (token_hash(&sid), recipient.clone(), scsrf.clone());
            if vault
                .db(move |sql| meta::insert_session(sql, &sh, &rid, &c, expires))
                .await
                .is_err()
            {
                return internal();
            }
            log.record(&vault, Some(&recipient), "login", None, true);
            let mut r = Redirect::to("/portail/actes").into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                cookie(SESSION_COOKIE, &sid, minutes * 60),
            );
            r.headers_mut()
                .append(header::SET_COOKIE, cookie(CSRF_COOKIE, "", 0));
            security_headers(r.headers_mut());
            r
        }
    }
}

/// The verdict on a typed code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeOutcome {
    /// The link has no code.
    NoCode,
    /// The code was used or expired.
    Expired,
    /// Too many wrong codes: the link is locked.
    Locked,
    /// A wrong code, counted; this many tries are left.
    Wrong(i64),
    /// The right code, now consumed.
    Right,
}

/// Judges a typed code (`code_hash`) on the link `link_hash` at `now`, `max` wrong codes
/// allowed. The verdict and the count are one statement each (a guarded `UPDATE … RETURNING`):
/// two tries at the same instant never both read the count below the limit, on SQLite or on
/// PostgreSQL (where a read-then-write transaction in READ COMMITTED would judge more).
pub fn judge_code(
    sql: &mut dyn Sql,
    link_hash: &str,
    code_hash: &str,
    max: i64,
    now: DateTime<Utc>,
) -> Result<CodeOutcome> {
    if let Some(n) = meta::count_wrong_code(sql, link_hash, code_hash, max, now)? {
        return Ok(if n >= max {
            CodeOutcome::Locked
        } else {
            CodeOutcome::Wrong(max - n)
        });
    }
    if meta::consume_right_code(sql, link_hash, code_hash, max, now)? {
        return Ok(CodeOutcome::Right);
    }
    // Neither judged: say why.
    Ok(match meta::code_state(sql, link_hash)? {
        None => CodeOutcome::NoCode,
        Some(s) if s.attempts >= max => CodeOutcome::Locked,
        Some(_) => CodeOutcome::Expired,
    })
}

/// A portal session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The recipient.
    pub recipient_id: String,
    /// The session's CSRF token.
    pub csrf: String,
}

async fn session(vault: &Arc<Vault>, headers: &HeaderMap) -> Option<Session> {
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
    if expires - now < chrono::Duration::minutes(minutes) / 2 {
        let until = now + chrono::Duration::minutes(minutes);
        vault
            .db(move |sql| meta::touch_session(sql, &h, until))
            .await
            .ok()?;
    }
    Some(Session { recipient_id, csrf })
}

fn login_needed() -> Response {
    page(
        StatusCode::UNAUTHORIZED,
        "Session expirée",
        "<p class=\"erreur\">Votre session a expiré ou vous n'êtes pas connecté. Ouvrez à nouveau \
         le lien reçu par courriel.</p>",
    )
}

/// `POST /portail/deconnexion`.
pub async fn logout(
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
pub struct CsrfOnly {
    /// CSRF token.
    pub csrf: String,
}

// ---------------------------------------------------------------------------------------------
// Acts

fn state_fr(s: sceau_core::delivery::DeliveryState) -> &'static str {
    use sceau_core::delivery::DeliveryState;
    match s {
        DeliveryState::InPerson => "Remise à personne",
        DeliveryState::AtHome => "Remise à domicile",
        DeliveryState::AwaitingConsultation => "En attente de consultation",
    }
}

fn url_seg(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /portail/actes`.
pub async fn acts(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    headers: HeaderMap,
) -> Response {
    let Some(s) = session(&vault, &headers).await else {
        log.record(&vault, None, "list_refused", None, false);
        return login_needed();
    };
    let rid = s.recipient_id.clone();
    let Ok(list) = vault
        .db_read(move |sql| meta::recipient_acts(sql, &rid, 200))
        .await
    else {
        return internal();
    };
    log.record(&vault, Some(&s.recipient_id), "list", None, true);
    let mut rows = String::new();
    for a in &list {
        let d = &a.deposit;
        let nature = vault.natures.get(&d.nature);
        let label = nature.map_or(d.nature.as_str(), |n| n.label_fr.as_str());
        let mut links = String::new();
        for f in &d.files {
            links.push_str(&format!(
                "<div>{name} — <a href=\"/portail/actes/{id}/document/{f}\">Voir</a> · \
                 <a href=\"/portail/actes/{id}/document/{f}?telecharger=1\">Télécharger</a></div>",
                name = esc(f),
                id = url_seg(&d.id),
                f = url_seg(f)
            ));
        }
        links.push_str(&format!(
            "<div><a href=\"/portail/actes/{}/paquet\">Télécharger avec signature et attestation \
             de dépôt (ZIP)</a></div>",
            url_seg(&d.id)
        ));
        let consulted = a.consulted_at.map_or_else(
            || "Non consulté".to_owned(),
            |t| format!("Consulté le {}", format_paris(t)),
        );
        let ret = if nature.is_some_and(|n| n.expects_return) {
            if a.returned {
                "Réponse déposée".to_owned()
            } else {
                format!(
                    "<form method=\"post\" action=\"/portail/actes/{id}/retour\" \
                     enctype=\"multipart/form-data\">\
                     <input type=\"hidden\" name=\"csrf\" value=\"{c}\">\
                     <label>Réponse (PDF) <input type=\"file\" name=\"pdf\" \
                     accept=\"application/pdf\" required></label> \
                     <label>Réponse structurée (JSON, facultatif) <input type=\"file\" \
                     name=\"json\" accept=\"application/json\"></label> \
                     <button type=\"submit\">Déposer la réponse</button></form>",
                    id = url_seg(&d.id),
                    c = esc(&s.csrf)
                )
            }
        } else {
            "—".to_owned()
        };
        rows.push_str(&format!(
            "<tr><td>{at}</td><td>{label}</td><td>{links}</td><td>{consulted}</td>\
             <td>{state}</td><td>{ret}</td></tr>",
            at = format_paris(d.deposited_at),
            label = esc(label),
            state = state_fr(delivery::shown_state(&vault, d, a.consulted_at)),
        ));
    }
    let body = if list.is_empty() {
        "<p>Aucun acte ne vous a été signifié.</p>".to_owned()
    } else {
        format!(
            "<table><thead><tr><th>Signifié le</th><th>Nature</th><th>Documents</th>\
             <th>Consultation</th><th>État</th><th>Réponse</th></tr></thead><tbody>{rows}\
             </tbody></table>"
        )
    };
    page(
        StatusCode::OK,
        "Vos actes",
        &format!(
            "{body}<form method=\"post\" action=\"/portail/deconnexion\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <p><button type=\"submit\">Se déconnecter</button></p></form>",
            esc(&s.csrf)
        ),
    )
}

/// `?telecharger=1` asks for an attachment instead of a view.
#[derive(Debug, Deserialize)]
pub struct DocQuery {
    /// Download instead of viewing.
    #[serde(default)]
    pub telecharger: Option<String>,
}

async fn own_deposit(vault: &Arc<Vault>, s: &Session, id: &str) -> Option<DepositRow> {
    let (rid, id) = (s.recipient_id.clone(), id.to_owned());
    vault
        .db_read(move |sql| meta::recipient_deposit(sql, &rid, &id))
        .await
        .ok()
        .flatten()
}

fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Document introuvable",
        "<p class=\"erreur\">Ce document n'existe pas ou ne vous est pas destiné.</p>",
    )
}

/// A file streamed from the blob store (never whole in memory), with its length and name.
fn file_response(
    blob: crate::store::blobs::BlobStream,
    mime: &'static str,
    name: &str,
    attachment: bool,
) -> Response {
    let disp = if attachment { "attachment" } else { "inline" };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut r = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("{disp}; filename=\"{ascii}\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
            (header::CONTENT_LENGTH, HeaderValue::from(blob.size)),
        ],
        axum::body::Body::from_stream(blob.chunks),
    )
        .into_response();
    security_headers(r.headers_mut());
    r
}

/// `GET /portail/actes/{id}/document/{name}`: view or download one act (the consultation).
pub async fn document(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
    Query(q): Query<DocQuery>,
) -> Response {
    let Some(s) = session(&vault, &headers).await else {
        log.record(&vault, None, "document_refused", Some(&id), false);
        return login_needed();
    };
    // One read: the act must be this recipient's, and named in its deposit.
    let (rid, did, n) = (s.recipient_id.clone(), id.clone(), name.clone());
    let found = vault
        .db_read(move |sql| {
            let Some(d) = meta::recipient_deposit(sql, &rid, &did)? else {
                return Ok(None);
            };
            if !d.files.contains(&n) {
                return Ok(None);
            }
            let Some(sha) = meta::recipient_file_sha(sql, &rid, &d.id, &n)? else {
                return Ok(None);
            };
            let consulted = meta::consultation(sql, &d.id)?.is_some();
            Ok(Some((d, sha, consulted)))
        })
        .await;
    let (d, sha, consulted) = match found {
        Ok(Some(f)) => f,
        Ok(None) => {
            log.record(
                &vault,
                Some(&s.recipient_id),
                "document_refused",
                Some(&id),
                false,
            );
            return not_found();
        }
        Err(_) => return internal(),
    };
    let Ok(Some(blob)) = vault.blobs.open(&sha).await else {
        return internal();
    };
    if !consulted
        && delivery::record_consultation(&vault, &d, Channel::Portal)
            .await
            .is_err()
    {
        return internal();
    }
    log.record(&vault, Some(&s.recipient_id), "document", Some(&d.id), true);
    file_response(blob, "application/pdf", &name, q.telecharger.is_some())
}

/// `GET /portail/actes/{id}/paquet`: the sealed archive (acts, signatures, data message,
/// attestation with its seal and time-stamp); also a consultation.
pub async fn package(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(s) = session(&vault, &headers).await else {
        log.record(&vault, None, "package_refused", Some(&id), false);
        return login_needed();
    };
    let Some(d) = own_deposit(&vault, &s, &id).await else {
        log.record(
            &vault,
            Some(&s.recipient_id),
            "package_refused",
            Some(&id),
            false,
        );
        return not_found();
    };
    let did = d.id.clone();
    let Ok(Some(sha)) = vault
        .db_read(move |sql| meta::deposit_archive_sha(sql, &did))
        .await
    else {
        return not_found();
    };
    let Ok(Some(blob)) = vault.blobs.open(&sha).await else {
        return internal();
    };
    if delivery::record_consultation(&vault, &d, Channel::Portal)
        .await
        .is_err()
    {
        return internal();
    }
    log.record(&vault, Some(&s.recipient_id), "package", Some(&d.id), true);
    let name = d.files.first().map_or_else(
        || "acte.zip".to_owned(),
        |f| format!("{}.zip", f.trim_end_matches(".pdf")),
    );
    file_response(blob, "application/zip", &name, true)
}

/// `POST /portail/actes/{id}/retour` (multipart: `csrf`, `pdf`, optional `json`).
pub async fn deposit_return(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    headers: HeaderMap,
    Path(id): Path<String>,
    mut form: Multipart,
) -> Response {
    let Some(s) = session(&vault, &headers).await else {
        log.record(&vault, None, "return_refused", Some(&id), false);
        return login_needed();
    };
    let Some(d) = own_deposit(&vault, &s, &id).await else {
        log.record(
            &vault,
            Some(&s.recipient_id),
            "return_refused",
            Some(&id),
            false,
        );
        return not_found();
    };
    let max = usize::try_from(vault.config.max_return_bytes).unwrap_or(usize::MAX);
    let (mut csrf, mut pdf, mut json) = (String::new(), None, None);
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return refused_return("Envoi illisible ou interrompu."),
        };
        let name = field.name().unwrap_or_default().to_owned();
        // Read with a bound: a field larger than the limit is refused, not buffered.
        let mut buf = Vec::new();
        let mut field = field;
        loop {
            match field.chunk().await {
                Ok(Some(c)) => {
                    if buf.len() + c.len() > max {
                        log.record(
                            &vault,
                            Some(&s.recipient_id),
                            "return_too_large",
                            Some(&d.id),
                            false,
                        );
                        return refused_return(&format!(
                            "Le fichier dépasse la taille maximale ({} Mo).",
                            max / (1024 * 1024)
                        ));
                    }
                    buf.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(_) => return refused_return("Envoi illisible ou interrompu."),
            }
        }
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&buf).into_owned(),
            "pdf" => pdf = Some(buf),
            "json" if !buf.is_empty() => json = Some(buf),
            _ => {}
        }
    }
    if !csrf_ok(Some(&s.csrf), &csrf) {
        log.record(
            &vault,
            Some(&s.recipient_id),
            "csrf_refused",
            Some(&d.id),
            false,
        );
        return forbidden_csrf();
    }
    let Some(pdf) = pdf.filter(|p| !p.is_empty()) else {
        return refused_return("Aucun fichier PDF n'a été joint.");
    };
    match crate::returns::accept(&vault, &d, pdf, json).await {
        Ok(r) => {
            log.record(&vault, Some(&s.recipient_id), "return", Some(&d.id), true);
            page(
                StatusCode::OK,
                "Réponse déposée",
                &format!(
                    "<p class=\"info\">Votre réponse {} a été déposée et transmise à l'étude.</p>\
                     <p><a href=\"/portail/actes\">Retour à vos actes</a></p>",
                    esc(&r.name)
                ),
            )
        }
        Err(e) => {
            log.record(
                &vault,
                Some(&s.recipient_id),
                "return_refused",
                Some(&d.id),
                false,
            );
            if e.status().is_server_error() {
                internal()
            } else {
                refused_return(&e.message_fr())
            }
        }
    }
}

fn refused_return(why: &str) -> Response {
    page(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Réponse refusée",
        &format!(
            "<p class=\"erreur\">{}</p><p>Rien n'a été enregistré. \
             <a href=\"/portail/actes\">Retour à vos actes</a></p>",
            esc(why)
        ),
    )
}

/// Deletes the links and sessions past their life and the codes of those links (secrets kept
/// no longer than they serve), and the audit lines older than `portal.audit_retention_days`.
pub async fn purge_expired(vault: &Vault) -> Result<meta::PortalPurge> {
    let now = vault.clock.now();
    let audit_before =
        now - chrono::Duration::days(i64::from(vault.config.portal.audit_retention_days));
    vault
        .db(move |sql| meta::purge_portal(sql, now, audit_before))
        .await
}

/// The server's purge task: [`purge_expired`] every `every`.
pub async fn run_purge(vault: Arc<Vault>, every: std::time::Duration) {
    loop {
        match purge_expired(&vault).await {
            Ok(p) if p != meta::PortalPurge::default() => tracing::info!(
                links = p.links,
                codes = p.codes,
                sessions = p.sessions,
                audit = p.audit,
                "portal secrets and old audit lines purged"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(code = e.code(), detail = %e, "portal purge"),
        }
        tokio::time::sleep(every).await;
    }
}
