//! Downloads: one act viewed or downloaded, and the sealed archive; each is a consultation.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;

use super::acts::session_deposit;
use super::html::{internal, login_needed, not_found, security_headers};
use super::session::session;
use super::AuditLog;
use crate::delivery::{self, Channel};
use crate::store::meta;
use crate::Vault;

/// `?telecharger=1` asks for an attachment instead of a view.
#[derive(Debug, Deserialize)]
pub(super) struct DocQuery {
    /// Download instead of viewing.
    #[serde(default)]
    pub telecharger: Option<String>,
}

/// A file streamed from the blob store (never whole in memory), with its length and name.
/// `Content-Disposition` for a file served by the portal: inline (read in the browser) or
/// attachment, its name kept to printable ASCII without quotes or backslashes.
pub(super) fn disposition(name: &str, attachment: bool) -> HeaderValue {
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
    HeaderValue::from_str(&format!("{disp}; filename=\"{ascii}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

pub(super) fn file_response(
    blob: crate::store::blobs::BlobStream,
    mime: &'static str,
    name: &str,
    attachment: bool,
) -> Response {
    let mut r = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (header::CONTENT_DISPOSITION, disposition(name, attachment)),
            (header::CONTENT_LENGTH, HeaderValue::from(blob.size)),
        ],
        axum::body::Body::from_stream(blob.chunks),
    )
        .into_response();
    security_headers(r.headers_mut());
    r
}

/// `GET /portail/actes/{id}/document/{name}`: view or download one act (the consultation).
pub(super) async fn document(
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

/// What a whole-deposit download serves: the sealed archive or the single XML flow.
#[derive(Clone, Copy)]
enum Whole {
    Archive,
    Flow,
}

/// `GET /portail/actes/{id}/paquet`: the sealed archive (acts, signatures, data message, single
/// XML flow, attestation with its seal and time-stamp); also a consultation.
pub(super) async fn package(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    whole(&vault, &log, &headers, &id, Whole::Archive).await
}

/// `GET /portail/actes/{id}/flux`: the single XML flow of the deposit (arrêté of 2012, art. 8:
/// the data message and the signed acts in one XML document, for the recipient's software);
/// also a consultation, since it carries the acts.
pub(super) async fn flow(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    whole(&vault, &log, &headers, &id, Whole::Flow).await
}

/// Serves the archive or the flow of deposit `id` to its recipient (a consultation).
async fn whole(
    vault: &Arc<Vault>,
    log: &AuditLog,
    headers: &HeaderMap,
    id: &str,
    what: Whole,
) -> Response {
    let (refused, action) = match what {
        Whole::Archive => ("package_refused", "package"),
        Whole::Flow => ("flow_refused", "flow"),
    };
    let (s, d) = match session_deposit(vault, log, headers, id, refused).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let blob = match what {
        Whole::Archive => {
            let did = d.id.clone();
            let Ok(Some(sha)) = vault
                .db_read(move |sql| meta::deposit_archive_sha(sql, &did))
                .await
            else {
                return not_found();
            };
            vault.blobs.open(&sha).await
        }
        Whole::Flow => crate::flow::open(vault, &s.recipient_id, &d.id).await,
    };
    let blob = match blob {
        Ok(Some(blob)) => blob,
        Ok(None) => return not_found(),
        Err(_) => return internal(),
    };
    if delivery::record_consultation(vault, &d, Channel::Portal)
        .await
        .is_err()
    {
        return internal();
    }
    log.record(vault, Some(&s.recipient_id), action, Some(&d.id), true);
    let stem = d
        .files
        .first()
        .map_or("acte", |f| f.trim_end_matches(".pdf"))
        .to_owned();
    match what {
        Whole::Archive => file_response(blob, "application/zip", &format!("{stem}.zip"), true),
        Whole::Flow => file_response(
            blob,
            "application/xml",
            &format!("{stem}_{}", sceau_core::flow::FLOW_NAME),
            true,
        ),
    }
}
