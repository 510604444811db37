//! The recipient's list of acts, and the lookup of one act scoped to the session's recipient.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use sceau_core::naming::format_paris;

use sceau_core::delivery::DeliveryState;

use super::html::{esc, internal, login_needed, session_page};
use super::session::{session, Session};
use super::AuditLog;
use crate::store::meta::{self, DepositRow, OfficeRow, RecipientAct};
use crate::{delivery, invitation, Vault};

/// The state's label and its badge's class.
pub(super) fn state_fr(s: DeliveryState) -> (&'static str, &'static str) {
    match s {
        DeliveryState::InPerson => ("Remise à personne", "etat-personne"),
        DeliveryState::AtHome => ("Remise à domicile", "etat-domicile"),
        DeliveryState::AwaitingConsultation => ("En attente de consultation", "etat-attente"),
    }
}

pub(super) fn url_seg(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The offices that served these acts, by id (each named once).
pub(super) async fn offices(vault: &Vault, ids: Vec<String>) -> HashMap<String, OfficeRow> {
    vault
        .db_read(move |sql| {
            let mut found = HashMap::new();
            for id in &ids {
                if !found.contains_key(id) {
                    if let Some(o) = meta::office_by_id(sql, id)? {
                        found.insert(id.clone(), o);
                    }
                }
            }
            Ok(found)
        })
        .await
        .unwrap_or_default()
}

/// One act as a card of the list: nature, date, office, state, and the act to read.
fn card(vault: &Vault, a: &RecipientAct, office: Option<&OfficeRow>) -> String {
    let d = &a.deposit;
    let label = vault
        .natures
        .get(&d.nature)
        .map_or(d.nature.as_str(), |n| n.label_fr.as_str());
    let (state, class) = state_fr(delivery::shown_state(vault, d, a.consulted_at));
    let consulted = a.consulted_at.map_or_else(
        || "Non consulté".to_owned(),
        |t| format!("Consulté le {}", format_paris(t)),
    );
    let by = office.map_or_else(String::new, |o| {
        format!(
            "<p>Par {}, commissaire de justice (étude n° {})</p>",
            esc(&invitation::office_short_name(o)),
            esc(&o.office.number)
        )
    });
    let id = url_seg(&d.id);
    let mut names = String::new();
    let mut read = String::new();
    for f in &d.files {
        names.push_str(&format!("<p class=\"fichier\">Document : {}</p>", esc(f)));
        let what = if d.files.len() == 1 {
            "Lire l'acte (PDF)".to_owned()
        } else {
            format!("Lire {}", esc(f))
        };
        read.push_str(&format!(
            "<a class=\"bouton\" href=\"/portail/actes/{id}/document/{f}\">{what}</a>",
            f = url_seg(f)
        ));
    }
    format!(
        "<li class=\"carte\"><h2>{label}</h2><p>Signifié le {at}</p>{by}\
         <p class=\"mince\">Référence de l'étude : {reference}</p>\
         <p><span class=\"etat {class}\">{state}</span> — {consulted}</p>{names}\
         <div class=\"actions\">{read}<a class=\"bouton second\" \
         href=\"/portail/actes/{id}\">Détails : état, signature, aide</a></div></li>",
        label = esc(label),
        at = format_paris(d.deposited_at),
        reference = esc(&d.reference),
    )
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
    let found = offices(
        &vault,
        list.iter().map(|a| a.deposit.office_id.clone()).collect(),
    )
    .await;
    let body = if list.is_empty() {
        "<p>Aucun acte ne vous a été signifié.</p>".to_owned()
    } else {
        let cards: String = list
            .iter()
            .map(|a| card(&vault, a, found.get(&a.deposit.office_id)))
            .collect();
        format!(
            "<p>Ces actes vous ont été signifiés par voie électronique. Ouvrez un acte pour le \
             lire ; ses détails disent ce que signifie son état et comment vérifier sa \
             signature.</p><ul class=\"liste\">{cards}</ul>"
        )
    };
    session_page(StatusCode::OK, "Vos actes", &body, &s, vault.clock.now())
}

/// The session and its recipient's deposit `id`, or the page to answer when either is missing;
/// each refusal is recorded as `refused` in the audit log.
pub(super) async fn session_deposit(
    vault: &Arc<Vault>,
    log: &AuditLog,
    headers: &HeaderMap,
    id: &str,
    refused: &str,
) -> Result<(Session, DepositRow), Response> {
    let Some(s) = session(vault, headers).await else {
        log.record(vault, None, refused, Some(id), false);
        return Err(login_needed());
    };
    let Some(d) = own_deposit(vault, &s, id).await else {
        log.record(vault, Some(&s.recipient_id), refused, Some(id), false);
        return Err(super::html::not_found());
    };
    Ok((s, d))
}

pub(super) async fn own_deposit(vault: &Arc<Vault>, s: &Session, id: &str) -> Option<DepositRow> {
    let (rid, id) = (s.recipient_id.clone(), id.to_owned());
    vault
        .db_read(move |sql| meta::recipient_deposit(sql, &rid, &id))
        .await
        .ok()
        .flatten()
}
