//! The recipient's list of acts, and the lookup of one act scoped to the session's recipient.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use sceau_core::naming::format_paris;

use super::html::{esc, internal, login_needed, page};
use super::session::{session, Session};
use super::AuditLog;
use crate::delivery;
use crate::store::meta::{self, DepositRow};
use crate::Vault;

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
pub(super) async fn acts(
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

pub(super) async fn own_deposit(vault: &Arc<Vault>, s: &Session, id: &str) -> Option<DepositRow> {
    let (rid, id) = (s.recipient_id.clone(), id.to_owned());
    vault
        .db_read(move |sql| meta::recipient_deposit(sql, &rid, &id))
        .await
        .ok()
        .flatten()
}
