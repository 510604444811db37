//! The recipient's answer to an office's invitation (`crate::invitation`), on pages that work
//! without JavaScript:
//!
//! 1. `GET /portail/consentement/{token}`: who invites, for which natures of acts, what
//!    electronic service means, until when one may answer; a button asks for the two codes.
//! 2. `POST /portail/consentement/{token}/codes`: one code goes to the e-mail address, another
//!    by SMS to the mobile (proving control of both); the form asks for both and the answer.
//! 3. `POST /portail/consentement/{token}`: both codes are judged as one (single use, short
//!    lived, wrong tries counted: at the limit the invitation is locked), then the answer is
//!    recorded — an acceptance enters the consent in the register with a sealed declaration
//!    (PDF/A-1b, filed in the office's vault and e-mailed to the recipient), a refusal is
//!    journaled, a revocation (once accepted) ends the consent from that instant.
//! 4. `GET /portail/consentement/{token}/declaration[.p7s]`: the sealed declaration.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use chrono::{DateTime, Utc};
use sceau_core::consent::{declaration_fr, Consent, DECLARATION_VERSION};
use sceau_core::naming::format_paris;
use sceau_pdfa::render::{render, Block, TextDocument};
use sceau_proto::InvitationState;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::html::{esc, forbidden_csrf, internal, page};
use super::session::{cookie, csrf_ok, random_token, read_cookie};
use super::{AuditLog, CSRF_COOKIE};
use crate::error::{crypto, storage, CryptoError, Error, Result};
use crate::invitation::{self, code_key};
use crate::notify::{self, token_hash};
use crate::register;
use crate::store::meta::{self, InvitationRow, OfficeRow, RecipientRow};
use crate::Vault;

/// Folder of the office's vault where consent declarations are filed.
pub const CONSENT_FOLDER: &str = "Consentements";

/// Everything a page of an invitation shows.
struct Found {
    row: InvitationRow,
    state: InvitationState,
    recipient: RecipientRow,
    office: OfficeRow,
    consent: Option<Consent>,
}

async fn find(vault: &Vault, token: &str) -> Result<Option<Found>> {
    let hash = token_hash(token);
    let now = vault.clock.now();
    let max = i64::from(vault.config.portal.max_code_attempts);
    vault
        .db_read(move |sql| {
            let Some(row) = meta::invitation_by_token(sql, &hash)? else {
                return Ok(None);
            };
            let locked = invitation::locked(sql, &row.id, max)?;
            let recipient =
                meta::recipient(sql, &row.recipient_id)?.ok_or(Error::UnknownRecipient)?;
            let office = meta::office_by_id(sql, &row.office_id)?.ok_or(Error::NotFound)?;
            let consent = match &row.consent_id {
                Some(id) => meta::consent(sql, id)?.map(|(c, _)| c),
                None => None,
            };
            Ok(Some(Found {
                state: invitation::state(&row, locked, now),
                row,
                recipient,
                office,
                consent,
            }))
        })
        .await
}

fn invalid_link() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Lien invalide",
        "<p class=\"erreur\">Ce lien d'invitation n'est pas valide : il a peut-être été remplacé \
         par un plus récent. Utilisez le lien du dernier courriel reçu, ou contactez l'étude qui \
         vous a invité.</p>",
    )
}

/// When the consent would end, counted from `from`.
fn until(row: &InvitationRow, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    row.consent_months
        .and_then(|m| from.checked_add_months(chrono::Months::new(m)))
}

fn declaration_html(vault: &Vault, f: &Found, from: DateTime<Utc>) -> String {
    let natures = invitation::nature_labels(vault, &f.row.natures);
    let refs: Vec<&str> = natures.iter().map(String::as_str).collect();
    declaration_fr(
        &invitation::office_name(&f.office),
        &refs,
        until(&f.row, from),
    )
    .iter()
    .map(|p| format!("<p>{}</p>", esc(p)))
    .collect()
}

/// The page of an invitation that cannot be answered (any more), or `None` if it can.
fn closed_page(f: &Found) -> Option<Response> {
    let (title, text) = match f.state {
        InvitationState::Pending => return None,
        InvitationState::Accepted => return None,
        InvitationState::Refused => (
            "Invitation refusée",
            format!(
                "Vous avez refusé la signification électronique le {}. Les actes vous seront \
                 signifiés sur papier.",
                f.row.answered_at.map(format_paris).unwrap_or_default()
            ),
        ),
        InvitationState::Withdrawn => (
            "Invitation retirée",
            "L'étude a retiré cette invitation : vous n'avez rien à faire.".to_owned(),
        ),
        InvitationState::Expired => (
            "Invitation expirée",
            format!(
                "Cette invitation pouvait recevoir une réponse jusqu'au {}. Si vous souhaitez \
                 recevoir vos actes par voie électronique, demandez à l'étude une nouvelle \
                 invitation.",
                format_paris(f.row.expires_at)
            ),
        ),
        InvitationState::Locked => (
            "Invitation bloquée",
            "Trop de codes erronés ont été saisis : cette invitation est bloquée. Demandez à \
             l'étude de vous la renvoyer."
                .to_owned(),
        ),
    };
    Some(page(
        StatusCode::OK,
        title,
        &format!("<p class=\"erreur\">{}</p>", esc(&text)),
    ))
}

fn accepted_html(f: &Found, token: &str) -> String {
    let Some(c) = &f.consent else {
        return String::new();
    };
    let revoked = c.revoked_at.map(format_paris);
    let t = esc(token);
    format!(
        "<p class=\"info\">Vous avez consenti à la signification électronique le {given}.</p>\
         {state}<div class=\"actions\"><a class=\"bouton second\" \
         href=\"/portail/consentement/{t}/declaration\">Votre déclaration (PDF)</a>\
         <a class=\"bouton second\" href=\"/portail/consentement/{t}/declaration.p7s\">Son \
         sceau (.p7s)</a></div>",
        given = format_paris(c.given_at),
        state = match revoked {
            Some(r) => format!("<p>Vous l'avez révoqué le {r}.</p>"),
            None => "<p>Vous pouvez le révoquer à tout moment : il ne vaudra plus pour les actes \
                     déposés après la révocation.</p>"
                .into(),
        }
    )
}

/// `GET /portail/consentement/{token}`.
pub(super) async fn show(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    Path(token): Path<String>,
) -> Response {
    let f = match find(&vault, &token).await {
        Ok(Some(f)) => f,
        Ok(None) => {
            log.record(&vault, None, "invitation_invalid", None, false);
            return invalid_link();
        }
        Err(_) => return internal(),
    };
    log.record(
        &vault,
        Some(&f.recipient.id),
        "invitation_opened",
        None,
        true,
    );
    if let Some(p) = closed_page(&f) {
        return p;
    }
    let csrf = random_token();
    let t = esc(&token);
    let body = if f.state == InvitationState::Accepted {
        let can_revoke = f.consent.as_ref().is_some_and(|c| c.revoked_at.is_none());
        format!(
            "{}{}",
            accepted_html(&f, &token),
            if can_revoke {
                codes_button(
                    &t,
                    &csrf,
                    "Révoquer mon consentement : recevoir mes deux codes",
                )
            } else {
                String::new()
            }
        )
    } else {
        format!(
            "<p>{who} vous invite à recevoir ses actes par voie électronique.</p>{decl}\
             <p>Vous pouvez répondre jusqu'au {until}. Pour confirmer que l'adresse électronique \
             et le mobile connus de l'étude sont bien les vôtres, un code vous sera envoyé sur \
             chacun.</p>{button}",
            who = esc(&invitation::office_name(&f.office)),
            decl = declaration_html(&vault, &f, vault.clock.now()),
            until = format_paris(f.row.expires_at),
            button = codes_button(&t, &csrf, "Recevoir mes deux codes"),
        )
    };
    let mut r = page(StatusCode::OK, "Signification par voie électronique", &body);
    r.headers_mut()
        .append(header::SET_COOKIE, cookie(CSRF_COOKIE, &csrf, 3600));
    r
}

fn codes_button(token: &str, csrf: &str, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/portail/consentement/{token}/codes\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{c}\">\
         <p><button type=\"submit\">{l}</button></p></form>",
        c = esc(csrf),
        l = esc(label)
    )
}

/// A form carrying only its CSRF token.
#[derive(Debug, Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

fn code_hash(key: &str, email_code: &str, sms_code: &str) -> String {
    hex::encode(Sha256::digest(
        format!("{key}:{}:{}", email_code.trim(), sms_code.trim()).as_bytes(),
    ))
}

fn answer_form(token: &str, csrf: &str, f: &Found, message: &str) -> String {
    let buttons = if f.state == InvitationState::Accepted {
        "<button type=\"submit\" name=\"reponse\" value=\"revoquer\">Révoquer mon \
         consentement</button>"
            .to_owned()
    } else {
        "<button type=\"submit\" name=\"reponse\" value=\"accepter\">J'accepte</button> \
         <button type=\"submit\" name=\"reponse\" value=\"refuser\">Je refuse</button>"
            .to_owned()
    };
    let field = |id: &str, label: String| {
        format!(
            "<p><label for=\"{id}\">{label}</label> <input id=\"{id}\" name=\"{id}\" \
             inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9]{{6}}\" \
             maxlength=\"6\" required></p>"
        )
    };
    format!(
        "{message}<form method=\"post\" action=\"/portail/consentement/{t}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{c}\">{email}{sms}<p>{buttons}</p></form>",
        t = esc(token),
        c = esc(csrf),
        email = field(
            "code_courriel",
            format!(
                "Code reçu par courriel ({})",
                esc(f.row.email_masked.as_deref().unwrap_or(""))
            )
        ),
        sms = field(
            "code_sms",
            format!(
                "Code reçu par SMS ({})",
                esc(f.row.mobile_masked.as_deref().unwrap_or(""))
            )
        ),
    )
}

fn six_digits() -> String {
    use rand_core::{OsRng, RngCore};
    loop {
        let v = OsRng.next_u32();
        if v < 4_294_000_000 {
            return format!("{:06}", v % 1_000_000);
        }
    }
}

fn locked_page() -> Response {
    page(
        StatusCode::FORBIDDEN,
        "Invitation bloquée",
        "<p class=\"erreur\">Trop de codes erronés ont été saisis : cette invitation est bloquée. \
         Demandez à l'étude de vous la renvoyer.</p>",
    )
}

/// `POST /portail/consentement/{token}/codes`.
pub(super) async fn send_codes(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !csrf_ok(read_cookie(&headers, CSRF_COOKIE).as_deref(), &form.csrf) {
        log.record(&vault, None, "csrf_refused", None, false);
        return forbidden_csrf();
    }
    let mut f = match find(&vault, &token).await {
        Ok(Some(f)) => f,
        Ok(None) => return invalid_link(),
        Err(_) => return internal(),
    };
    let revocable = f.consent.as_ref().is_some_and(|c| c.revoked_at.is_none());
    if f.state == InvitationState::Locked {
        return locked_page();
    }
    if f.state != InvitationState::Pending && !revocable {
        return closed_page(&f).unwrap_or_else(invalid_link);
    }
    match send_two_codes(&vault, &mut f).await {
        Ok(()) => {}
        Err(_) => {
            log.record(
                &vault,
                Some(&f.recipient.id),
                "invitation_codes_not_sent",
                None,
                false,
            );
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Codes non envoyés",
                "<p class=\"erreur\">Les codes n'ont pas pu vous être envoyés. Réessayez dans \
                 quelques minutes en rouvrant le lien de l'invitation.</p>",
            );
        }
    }
    log.record(
        &vault,
        Some(&f.recipient.id),
        "invitation_codes_sent",
        None,
        true,
    );
    let minutes = vault.config.portal.code_minutes;
    let message = format!(
        "<p class=\"info\">Un code vient de vous être envoyé par courriel et un autre par SMS. \
         Ils expirent dans {minutes} minutes.</p>{}",
        if f.state == InvitationState::Accepted {
            String::new()
        } else {
            declaration_html(&vault, &f, vault.clock.now())
        }
    );
    page(
        StatusCode::OK,
        "Confirmez votre réponse",
        &answer_form(&token, &form.csrf, &f, &message),
    )
}

fn not_sent(e: notify::SendError) -> Error {
    tracing::warn!(error = %e.0, "invitation code not sent");
    Error::Invitation(invitation::Refusal::NotSent)
}

/// Sends a code to each contact and stores the hash of the pair (a reload sends new codes:
/// the earlier ones no longer work).
async fn send_two_codes(vault: &Vault, f: &mut Found) -> Result<()> {
    let (email, mobile) = invitation::contacts(&f.recipient)?;
    let (email_masked, mobile_masked) = invitation::masked_contacts(&f.recipient)?;
    let now = vault.clock.now();
    let (email_code, sms_code) = (six_digits(), six_digits());
    let key = code_key(&f.row.id);
    let stored = code_hash(&key, &email_code, &sms_code);
    let expires = now + chrono::Duration::minutes(i64::from(vault.config.portal.code_minutes));
    let minutes = vault.config.portal.code_minutes;
    notify::send_email(
        vault.config.smtp.as_ref(),
        &email,
        "Votre code pour répondre à l'invitation (coffre-fort Sceau)",
        &format!(
            "Bonjour,\n\nVotre code de vérification par courriel est {email_code}. Il expire dans \
             {minutes} minutes. Un second code vous est envoyé par SMS.\n\nNe le communiquez à \
             personne.\n\nCoffre-fort Sceau\n"
        ),
    )
    .await
    .map_err(not_sent)?;
    notify::send_sms(
        vault.config.sms.as_ref(),
        &mobile,
        &format!(
            "Sceau : votre code de vérification par SMS est {sms_code}. Il expire dans {minutes} \
             minutes. Ne le communiquez à personne."
        ),
    )
    .await
    .map_err(not_sent)?;
    let (id, em, mm) = (
        f.row.id.clone(),
        email_masked.clone(),
        mobile_masked.clone(),
    );
    vault
        .db(move |sql| {
            meta::set_code(sql, &key, &stored, expires)?;
            meta::set_codes_sent(sql, &id, now, &em, &mm)
        })
        .await?;
    f.row.codes_sent_at = Some(now);
    f.row.email_masked = Some(email_masked);
    f.row.mobile_masked = Some(mobile_masked);
    Ok(())
}

/// The answer form.
#[derive(Debug, Deserialize)]
pub(super) struct AnswerForm {
    csrf: String,
    code_courriel: String,
    code_sms: String,
    reponse: String,
}

/// `POST /portail/consentement/{token}`.
pub(super) async fn answer(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<AnswerForm>,
) -> Response {
    if !csrf_ok(read_cookie(&headers, CSRF_COOKIE).as_deref(), &form.csrf) {
        log.record(&vault, None, "csrf_refused", None, false);
        return forbidden_csrf();
    }
    let f = match find(&vault, &token).await {
        Ok(Some(f)) => f,
        Ok(None) => return invalid_link(),
        Err(_) => return internal(),
    };
    let revocable = f.consent.as_ref().is_some_and(|c| c.revoked_at.is_none());
    let wanted = match (form.reponse.as_str(), f.state) {
        ("accepter", InvitationState::Pending) => Answer::Accept,
        ("refuser", InvitationState::Pending) => Answer::Refuse,
        ("revoquer", InvitationState::Accepted) if revocable => Answer::Revoke,
        (_, InvitationState::Locked) => return locked_page(),
        _ => return closed_page(&f).unwrap_or_else(invalid_link),
    };
    let now = vault.clock.now();
    let max = i64::from(vault.config.portal.max_code_attempts);
    let key = code_key(&f.row.id);
    let hash = code_hash(&key, &form.code_courriel, &form.code_sms);
    let verdict = vault
        .db(move |sql| super::judge_code(sql, &key, &hash, max, now))
        .await;
    let rid = f.recipient.id.clone();
    match verdict {
        Err(_) => internal(),
        Ok(super::CodeOutcome::Locked) => {
            log.record(&vault, Some(&rid), "invitation_locked", None, false);
            locked_page()
        }
        Ok(super::CodeOutcome::NoCode | super::CodeOutcome::Expired) => page(
            StatusCode::UNAUTHORIZED,
            "Codes expirés",
            &format!(
                "<p class=\"erreur\">Ces codes ne sont plus valables (déjà utilisés ou expirés). \
                 <a href=\"/portail/consentement/{}\">Recommencer</a>.</p>",
                esc(&token)
            ),
        ),
        Ok(super::CodeOutcome::Wrong(left)) => {
            log.record(&vault, Some(&rid), "invitation_code_wrong", None, false);
            page(
                StatusCode::UNAUTHORIZED,
                "Confirmez votre réponse",
                &answer_form(
                    &token,
                    &form.csrf,
                    &f,
                    &format!(
                        "<p class=\"erreur\">Un des deux codes est incorrect. Il vous reste \
                         {left} essai(s) avant le blocage de l'invitation.</p>"
                    ),
                ),
            )
        }
        Ok(super::CodeOutcome::Right) => {
            let done = match wanted {
                Answer::Accept => accept(&vault, &f, now).await.map(|_| "invitation_accepted"),
                Answer::Refuse => refuse(&vault, &f, now).await.map(|()| "invitation_refused"),
                Answer::Revoke => revoke(&vault, &f, now).await.map(|()| "consent_revoked"),
            };
            match done {
                Ok(action) => {
                    log.record(&vault, Some(&rid), action, None, true);
                    vault.feed.notify_waiters();
                    done_page(&vault, &token).await
                }
                Err(e) => {
                    tracing::error!(code = e.code(), "consent answer not recorded");
                    internal()
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Answer {
    Accept,
    Refuse,
    Revoke,
}

/// The page after an answer: the invitation as it now stands.
async fn done_page(vault: &Vault, token: &str) -> Response {
    let f = match find(vault, token).await {
        Ok(Some(f)) => f,
        _ => return internal(),
    };
    if let Some(p) = closed_page(&f) {
        return p;
    }
    let title = if f.consent.as_ref().is_some_and(|c| c.revoked_at.is_some()) {
        "Consentement révoqué"
    } else {
        "Consentement enregistré"
    };
    page(StatusCode::OK, title, &accepted_html(&f, token))
}

/// The sealed declaration of `f`'s recipient consenting at `now`.
async fn declaration(vault: &Vault, f: &Found, now: DateTime<Utc>) -> Result<(Vec<u8>, Vec<u8>)> {
    let natures = invitation::nature_labels(vault, &f.row.natures);
    let refs: Vec<&str> = natures.iter().map(String::as_str).collect();
    let office = invitation::office_name(&f.office);
    let mut blocks = vec![Block::Heading("Déclaration".into())];
    blocks.extend(
        declaration_fr(&office, &refs, until(&f.row, now))
            .into_iter()
            .map(Block::Paragraph),
    );
    let factor = |what: &str, to: &Option<String>| {
        format!(
            "{what} {} — code envoyé le {}, vérifié le {}",
            to.as_deref().unwrap_or(""),
            f.row.codes_sent_at.map(format_paris).unwrap_or_default(),
            format_paris(now)
        )
    };
    blocks.push(Block::Table(vec![
        ("Destinataire".into(), f.recipient.name.clone()),
        ("Étude".into(), office),
        ("Natures d'actes".into(), natures.join(", ")),
        (
            "Consentement donné le".into(),
            format!("{} (heure de Paris, horloge du coffre)", format_paris(now)),
        ),
        ("Courriel".into(), factor("", &f.row.email_masked)),
        ("Mobile".into(), factor("", &f.row.mobile_masked)),
        ("Invitation".into(), f.row.id.clone()),
        ("Version du texte".into(), DECLARATION_VERSION.into()),
    ]));
    blocks.push(Block::Paragraph(
        "Ce document est scellé par le coffre-fort (signature détachée .p7s) ; son empreinte est \
         inscrite au journal de preuve du coffre."
            .into(),
    ));
    let doc = TextDocument {
        title: "Consentement à la signification par voie électronique".into(),
        author: "Coffre-fort Sceau".into(),
        blocks,
    };
    let pdf = tokio::task::spawn_blocking(move || render(&doc, now))
        .await
        .map_err(storage)?
        .map_err(|e| crypto(CryptoError::Rendering(e)))?;
    let seal = vault.seal.seal(&pdf, now)?;
    Ok((pdf, seal))
}

fn declaration_name(f: &Found, now: DateTime<Utc>) -> String {
    let day = now.with_timezone(&sceau_core::PARIS).format("%Y%m%d");
    sceau_core::naming::sanitize(&format!(
        "consentement_{}_{day}.pdf",
        f.recipient.name.replace(' ', "_")
    ))
}

/// Enters the consent with its sealed declaration, files the declaration in the office's vault,
/// and e-mails it to the recipient (a failed e-mail does not undo the consent: the declaration
/// stays downloadable from the link).
async fn accept(vault: &Arc<Vault>, f: &Found, now: DateTime<Utc>) -> Result<()> {
    let (pdf, seal) = declaration(vault, f, now).await?;
    let name = declaration_name(f, now);
    let pdf_sha: [u8; 32] = Sha256::digest(&pdf).into();
    let (pdf_len, seal_len) = (pdf.len() as u64, seal.len() as u64);
    let (pdf_key, seal_key) =
        tokio::try_join!(vault.blobs.put(pdf.clone()), vault.blobs.put(seal))?;
    let stored = serde_json::to_string(&(&name, &pdf_key, &seal_key)).map_err(storage)?;
    let retention = chrono::Months::new(12 * vault.config.retention_years);
    let (row, n) = (f.row.clone(), name.clone());
    let guard = vault.commit_lock.lock().await;
    let v = vault.clone();
    vault
        .db(move |sql| {
            let consent = register::give(
                sql,
                &v.natures,
                register::NewConsent {
                    recipient_id: &row.recipient_id,
                    natures: row.natures.clone(),
                    given_at: now,
                    expires_at: until(&row, now),
                    how: "portail",
                    by: "portail",
                    office_id: Some(&row.office_id),
                    evidence: vec![(n.clone(), pdf_sha)],
                },
                now,
            )?;
            if !meta::answer_invitation(
                sql,
                &row.id,
                InvitationState::Pending,
                InvitationState::Accepted,
                now,
                Some(&consent.id),
                Some(&stored),
            )? {
                return Err(Error::Invitation(invitation::Refusal::Answered(
                    InvitationState::Accepted,
                )));
            }
            meta::file_in_office_vault(
                sql,
                &row.office_id,
                CONSENT_FOLDER,
                &[
                    (n.clone(), pdf_len, pdf_key.clone()),
                    (format!("{n}.p7s"), seal_len, seal_key.clone()),
                ],
                &consent.id,
                now,
                now.checked_add_months(retention),
            )?;
            Ok(())
        })
        .await?;
    drop(guard);
    if let Ok((email, _)) = invitation::contacts(&f.recipient) {
        let sent = notify::send_email_with(
            vault.config.smtp.as_ref(),
            &email,
            "Votre consentement à la signification électronique",
            &format!(
                "Bonjour,\n\nVotre consentement à la signification par voie électronique des \
                 actes de {} a été enregistré le {}. Votre déclaration, scellée par le \
                 coffre-fort, est jointe ; vous pouvez aussi la télécharger, ou révoquer votre \
                 consentement, depuis le lien de l'invitation.\n\nCoffre-fort Sceau\n",
                invitation::office_name(&f.office),
                format_paris(now)
            ),
            Some((&name, &pdf)),
        )
        .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e.0, "declaration not e-mailed");
        }
    }
    Ok(())
}

async fn refuse(vault: &Arc<Vault>, f: &Found, now: DateTime<Utc>) -> Result<()> {
    let row = f.row.clone();
    let _guard = vault.commit_lock.lock().await;
    vault
        .db(move |sql| {
            if !meta::answer_invitation(
                sql,
                &row.id,
                InvitationState::Pending,
                InvitationState::Refused,
                now,
                None,
                None,
            )? {
                return Err(Error::Invitation(invitation::Refusal::Answered(
                    InvitationState::Refused,
                )));
            }
            register::refused(sql, &row.id, &row.recipient_id, &row.office_id, now)
        })
        .await
}

async fn revoke(vault: &Arc<Vault>, f: &Found, now: DateTime<Utc>) -> Result<()> {
    let id = f.row.consent_id.clone().ok_or(Error::NotFound)?;
    let _guard = vault.commit_lock.lock().await;
    vault
        .db(move |sql| {
            register::revoke(
                sql,
                &id,
                now,
                "portail",
                "révoqué par le destinataire sur le portail",
            )
            .map(|_| ())
        })
        .await
}

/// `GET /portail/consentement/{token}/declaration` and `.../declaration.p7s`.
pub(super) async fn declaration_file(
    State(vault): State<Arc<Vault>>,
    Path((token, file)): Path<(String, String)>,
) -> Response {
    let seal = match file.as_str() {
        "declaration" => false,
        "declaration.p7s" => true,
        _ => return invalid_link(),
    };
    let f = match find(&vault, &token).await {
        Ok(Some(f)) => f,
        Ok(None) => return invalid_link(),
        Err(_) => return internal(),
    };
    let Some(Ok((name, pdf_key, seal_key))) = f
        .row
        .declaration
        .as_deref()
        .map(serde_json::from_str::<(String, String, String)>)
    else {
        return invalid_link();
    };
    let key = if seal { seal_key } else { pdf_key };
    let Ok(Some(blob)) = vault.blobs.open(&key).await else {
        return internal();
    };
    if seal {
        super::downloads::file_response(
            blob,
            "application/pkcs7-signature",
            &format!("{name}.p7s"),
            true,
        )
    } else {
        super::downloads::file_response(blob, "application/pdf", &name, false)
    }
}
