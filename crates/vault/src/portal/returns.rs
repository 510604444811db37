//! A return deposited from the portal (PDF, optional JSON answer).

use std::sync::Arc;

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;

use super::acts::session_deposit;
use super::html::{esc, forbidden_csrf, internal, page};
use super::session::csrf_ok;
use super::AuditLog;
use crate::Vault;

/// `POST /portail/actes/{id}/retour` (multipart: `csrf`, `pdf`, optional `json`).
pub(super) async fn deposit_return(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    headers: HeaderMap,
    Path(id): Path<String>,
    mut form: Multipart,
) -> Response {
    let (s, d) = match session_deposit(&vault, &log, &headers, &id, "return_refused").await {
        Ok(found) => found,
        Err(answer) => return answer,
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
