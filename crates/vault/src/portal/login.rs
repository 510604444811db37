//! Login: the link opened (a one-time code sent), the code typed (with the second factor when
//! one is asked), and the verdict on it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::{DateTime, Utc};
use rand_core::{OsRng, RngCore};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::html::{esc, forbidden_csrf, internal, page, security_headers};
use super::session::{cookie, csrf_ok, random_token, read_cookie};
use super::{AuditLog, CSRF_COOKIE, SESSION_COOKIE};
use crate::error::Result;
use crate::notify::{self, token_hash};
use crate::second_factor::{self, SecondFactor};
use crate::store::meta::{self, RecipientRow};
use crate::store::sql::Sql;
use crate::Vault;

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

/// `GET /portail/acces/{token}`.
pub(super) async fn access(
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
pub(super) struct CodeForm {
    /// The code typed.
    pub code: String,
    /// The identifier asked when the recipient has one channel only (SIREN, NIR).
    #[serde(default)]
    pub reponse: Option<String>,
    /// CSRF token (must equal the cookie's).
    pub csrf: String,
}

/// `POST /portail/acces/{token}`.
pub(super) async fn verify(
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
