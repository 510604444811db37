//! The office's APIs: event feed, search, service detail, and the office vault ("Mon
//! coffre-fort"). Every query is scoped to the authenticated office: another office's service or
//! file answers `not_found`, exactly like one that does not exist.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::Json;
use base64::Engine;
use chrono::NaiveDate;
use futures_util::StreamExt;
use sceau_core::evidence::EvidenceEvent;
use sceau_proto::{
    ActSection, AttestationSection, DeliveryState, FeedEvent, FeedPage, FiledSection, MkdirRequest,
    MoveRequest, ProofBundle, ProofLine, SearchPage, ServiceDetail, ServiceSummary, Source,
    VaultEntry, VaultListing, ATTESTATION_NAME,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{storage, Error, Result};
use crate::peer::Authed;
use crate::store::meta::{self, DepositRow, JournalRow, SearchCriteria};
use crate::Vault;

fn feed_event(r: &JournalRow) -> FeedEvent {
    let event = EvidenceEvent::from_code(&r.event)
        .and_then(|e| e.etsi_name())
        .unwrap_or(&r.event)
        .to_owned();
    FeedEvent {
        seq: u64::try_from(r.seq).unwrap_or(0),
        deposit_id: r.deposit_id.clone(),
        event,
        at: meta::parse_ts(&r.at).unwrap_or_default(),
        message: r.message.clone(),
    }
}

/// Query of the feed.
#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    /// Cursor: events after this position.
    #[serde(default)]
    pub after: u64,
    /// Seconds to wait for an event when there is none yet (long-poll), at most 30.
    #[serde(default)]
    pub wait: u64,
}

/// `GET /v1/events?after=N&wait=S`.
pub async fn events(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    super::QueryParams(q): super::QueryParams<FeedQuery>,
) -> Result<Json<FeedPage>> {
    let after = i64::try_from(q.after).unwrap_or(i64::MAX);
    let office = who.office.office.id.clone();
    let fetch = || {
        let office = office.clone();
        vault.db(move |sql| meta::office_journal(sql, &office, after, 100))
    };
    // Register for wake-ups before looking, so an event in between is not missed.
    let notified = vault.feed.notified();
    tokio::pin!(notified);
    notified.as_mut().enable();
    let mut rows = fetch().await?;
    if rows.is_empty() && q.wait > 0 {
        let wait = Duration::from_secs(q.wait.min(30));
        if tokio::time::timeout(wait, notified).await.is_ok() {
            rows = fetch().await?;
        }
    }
    // The newest checkpoint goes to every office: a copy the vault cannot take back.
    let checkpoint = vault
        .db_read(|sql| meta::last_checkpoint(sql))
        .await?
        .map(|c| c.checkpoint);
    let next_cursor = rows
        .last()
        .map_or(q.after, |r| u64::try_from(r.seq).unwrap_or(0));
    Ok(Json(FeedPage {
        events: rows.iter().map(feed_event).collect(),
        next_cursor,
        checkpoint,
    }))
}

fn state_of(s: &str) -> DeliveryState {
    match s {
        "in_person" => DeliveryState::InPerson,
        "at_home" => DeliveryState::AtHome,
        _ => DeliveryState::AwaitingConsultation,
    }
}

fn summary(d: &DepositRow) -> ServiceSummary {
    ServiceSummary {
        deposit_id: d.id.clone(),
        deposited_at: d.deposited_at,
        state: state_of(&d.state),
        reference: d.reference.clone(),
        file: d.files.first().cloned().unwrap_or_default(),
        recipient_name: d.recipient_name.clone(),
        recipient_id: d.recipient_id.clone(),
        nature: d.nature.clone(),
        source: if d.source == "edi" {
            Source::Edi
        } else {
            Source::Form
        },
    }
}

/// Search form of the manual: service dates (Paris days, inclusive), delivery state, reference,
/// document name, recipient, nature, source; pages of `per_page` (default 10).
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: Option<NaiveDate>,
    /// Last day, `YYYY-MM-DD`.
    pub to: Option<NaiveDate>,
    /// `awaiting_consultation`, `in_person` or `at_home`.
    pub state: Option<String>,
    /// Reference prefix.
    pub reference: Option<String>,
    /// Part of a document name.
    pub document: Option<String>,
    /// Recipient id.
    pub recipient_id: Option<String>,
    /// Nature code.
    pub nature: Option<String>,
    /// `form` or `edi`.
    pub source: Option<String>,
    /// Page number from 1.
    pub page: Option<u32>,
    /// Results per page (1 to 100).
    pub per_page: Option<u32>,
}

/// `GET /v1/services?...`.
pub async fn search(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    super::QueryParams(q): super::QueryParams<SearchQuery>,
) -> Result<Json<SearchPage>> {
    let c = SearchCriteria {
        from: q.from.map(sceau_core::paris_day_start),
        to: q
            .to
            .and_then(|d| d.succ_opt())
            .map(sceau_core::paris_day_start),
        state: q.state.filter(|s| !s.is_empty()),
        reference: q.reference.filter(|s| !s.is_empty()),
        document: q.document.filter(|s| !s.is_empty()),
        recipient_id: q.recipient_id.filter(|s| !s.is_empty()),
        nature: q.nature.filter(|s| !s.is_empty()),
        source: q.source.filter(|s| !s.is_empty()),
    };
    let per_page = i64::from(q.per_page.unwrap_or(10).clamp(1, 100));
    let offset = i64::from(q.page.unwrap_or(1).max(1) - 1) * per_page;
    let office = who.office.office.id.clone();
    let (rows, total) = vault
        .db(move |sql| meta::search_deposits(sql, &office, &c, offset, per_page))
        .await?;
    Ok(Json(SearchPage {
        results: rows.iter().map(summary).collect(),
        total,
    }))
}

/// `GET /v1/services/{id}`: the detail sheet.
pub async fn detail(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<ServiceDetail>> {
    let office = who.office.office.id.clone();
    let (d, history, recipient, notice, act_return) = vault
        .db(move |sql| {
            let d = meta::deposit(sql, &office, &id)?.ok_or(Error::NotFound)?;
            let h = meta::deposit_journal(sql, &d.id)?;
            let r = meta::recipient(sql, &d.recipient_id)?;
            let n = meta::notice(sql, &d.id)?;
            let ret = meta::act_return(sql, &d.id)?;
            Ok((d, h, r, n, ret))
        })
        .await?;
    let receipt: sceau_proto::DepositReceipt = serde_json::from_str(&d.receipt).map_err(storage)?;
    let label = vault
        .natures
        .get(&d.nature)
        .map(|n| n.label_fr.clone())
        .unwrap_or_default();
    Ok(Json(ServiceDetail {
        deposit_id: d.id.clone(),
        act: ActSection {
            reference: d.reference.clone(),
            deposited_at: d.deposited_at,
            documents: d.files.clone(),
            nature: d.nature.clone(),
            nature_label: label,
            state: state_of(&d.state),
            recipient_name: d.recipient_name.clone(),
            recipient_siret: recipient.and_then(|r| r.siret),
        },
        attestation: AttestationSection {
            served_at: d.deposited_at,
            archive_name: receipt.archive_name,
            archive_path: receipt.archive_path,
            xml_name: ATTESTATION_NAME.into(),
        },
        delivery_notice: notice.map(|n| FiledSection {
            at: n.decided_at,
            file_name: n.name,
            path: n.path,
            state: match state_of(&n.state) {
                DeliveryState::InPerson => "Remise à personne".into(),
                DeliveryState::AtHome => "Remise à domicile".into(),
                DeliveryState::AwaitingConsultation => "En attente de consultation".into(),
            },
        }),
        act_return: act_return.map(|r| FiledSection {
            at: r.deposited_at,
            file_name: r.name,
            path: r.path,
            state: "Réponse déposée par le destinataire".into(),
        }),
        history: history.iter().map(feed_event).collect(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Office vault

/// A path inside an office vault: `/`-separated segments, each unchanged by sceau-core's
/// sanitisation (never `..`, never absolute).
pub fn clean_path(p: &str) -> Result<String> {
    let p = p.trim_matches('/');
    if p.is_empty() {
        return Ok(String::new());
    }
    let segs: Vec<&str> = p.split('/').collect();
    let ok = segs.len() <= 16
        && segs.iter().all(|s| {
            !s.is_empty() && *s != "." && *s != ".." && sceau_core::naming::sanitize(s) == *s
        });
    if !ok {
        return Err(Error::BadRequest(format!("chemin refusé : {p}")));
    }
    Ok(segs.join("/"))
}

/// A `?path=` query.
#[derive(Debug, Deserialize)]
pub struct PathQuery {
    /// The path (empty: the root).
    #[serde(default)]
    pub path: String,
}

/// `GET /v1/vault?path=FOLDER`: a folder's entries and the space used.
pub async fn list(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    super::QueryParams(q): super::QueryParams<PathQuery>,
) -> Result<Json<VaultListing>> {
    let folder = clean_path(&q.path)?;
    let office = who.office.office.id.clone();
    let listing = vault
        .db(move |sql| {
            if !folder.is_empty() {
                let e = meta::entry(sql, &office, &folder)?.ok_or(Error::NotFound)?;
                if !e.is_folder {
                    return Err(Error::NotFound);
                }
            }
            Ok(VaultListing {
                entries: meta::list_entries(sql, &office, &folder)?,
                space_used: meta::space_used(sql, &office)?,
            })
        })
        .await?;
    Ok(Json(listing))
}

async fn file_entry(vault: &Vault, who: &Authed, path: &str) -> Result<VaultEntry> {
    let path = clean_path(path)?;
    let office = who.office.office.id.clone();
    vault
        .db(move |sql| meta::entry(sql, &office, &path))
        .await?
        .ok_or(Error::NotFound)
}

/// `GET /v1/vault/properties?path=`.
pub async fn properties(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    super::QueryParams(q): super::QueryParams<PathQuery>,
) -> Result<Json<VaultEntry>> {
    Ok(Json(file_entry(&vault, &who, &q.path).await?))
}

/// `GET /v1/vault/file?path=`: download.
pub async fn download(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    super::QueryParams(q): super::QueryParams<PathQuery>,
) -> Result<impl IntoResponse> {
    let e = file_entry(&vault, &who, &q.path).await?;
    let sha = e.sha256.clone().ok_or(Error::NotFound)?;
    // Streamed: a large file of the office's vault is never held whole in memory.
    let blob = vault
        .blobs
        .open(&sha)
        .await?
        .ok_or_else(|| storage("blob missing"))?;
    let name = e.path.rsplit('/').next().unwrap_or("fichier").to_owned();
    let mime = if name.ends_with(".zip") {
        "application/zip"
    } else if name.ends_with(".pdf") {
        "application/pdf"
    } else {
        "application/octet-stream"
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CONTENT_LENGTH, blob.size.to_string()),
        ],
        axum::body::Body::from_stream(blob.chunks),
    ))
}

/// `POST /v1/vault/folders`.
pub async fn mkdir(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    super::JsonBody(req): super::JsonBody<MkdirRequest>,
) -> Result<Json<VaultEntry>> {
    let path = clean_path(&req.path)?;
    if path.is_empty() {
        return Err(Error::PathExists);
    }
    let office = who.office.office.id.clone();
    let now = vault.clock.now();
    let entry = VaultEntry::folder(path.clone(), now);
    let e = entry.clone();
    vault
        .db(move |sql| {
            parent_is_folder(sql, &office, &e.path)?;
            meta::insert_entry(sql, &office, &e)
        })
        .await?;
    Ok(Json(entry))
}

fn parent_is_folder(sql: &mut dyn crate::store::sql::Sql, office: &str, path: &str) -> Result<()> {
    if let Some((parent, _)) = path.rsplit_once('/') {
        match meta::entry(sql, office, parent)? {
            Some(p) if p.is_folder => {}
            _ => return Err(Error::NotFound),
        }
    }
    Ok(())
}

/// `POST /v1/vault/move`: move or rename a file or a folder (with its content).
pub async fn move_entry(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    super::JsonBody(req): super::JsonBody<MoveRequest>,
) -> Result<Json<VaultEntry>> {
    let (from, to) = (clean_path(&req.from)?, clean_path(&req.to)?);
    if from.is_empty() || to.is_empty() || to == from || to.starts_with(&format!("{from}/")) {
        return Err(Error::BadRequest("déplacement impossible".into()));
    }
    let office = who.office.office.id.clone();
    let now = vault.clock.now();
    let moved = vault
        .db(move |sql| {
            let items = meta::subtree(sql, &office, &from)?;
            if items.is_empty() {
                return Err(Error::NotFound);
            }
            if meta::entry(sql, &office, &to)?.is_some() {
                return Err(Error::PathExists);
            }
            parent_is_folder(sql, &office, &to)?;
            super::properties::check_movable(sql, &office, &from, &to, now)?;
            for e in &items {
                let new = format!("{to}{}", &e.path[from.len()..]);
                // What the recipient downloads is found by its kind (the archive's .zip): an
                // archived service may be moved and renamed, never change its extension.
                // (Description and retention are columns of the entry: they follow it.)
                if e.deposit_id.is_some()
                    && e.retained_until.is_some()
                    && extension(&e.path) != extension(&new)
                {
                    return Err(Error::BadRequest(format!(
                        "« {} » est l'archive d'une signification : renommez-la en gardant \
                         l'extension « .{} »",
                        e.path,
                        extension(&e.path)
                    )));
                }
                meta::set_entry_path(sql, &office, &e.path, &new, now)?;
            }
            meta::entry(sql, &office, &to)?.ok_or(Error::NotFound)
        })
        .await?;
    Ok(Json(moved))
}

/// The extension of the last component of `path`, lower-case ("" when none).
fn extension(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.')
        .map(|(_, x)| x.to_ascii_lowercase())
        .unwrap_or_default()
}

/// `DELETE /v1/vault/file?path=`: deletes a file or a folder with its content, unless it,
/// something in it or a folder above it is within its retention period
/// ([`super::properties::check_deletable`]).
pub async fn delete(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    super::QueryParams(q): super::QueryParams<PathQuery>,
) -> Result<axum::http::StatusCode> {
    let path = clean_path(&q.path)?;
    if path.is_empty() {
        return Err(Error::BadRequest("la racine ne se supprime pas".into()));
    }
    let office = who.office.office.id.clone();
    let now = vault.clock.now();
    let blobs = vault
        .db(move |sql| {
            let items = meta::subtree(sql, &office, &path)?;
            if items.is_empty() {
                return Err(Error::NotFound);
            }
            super::properties::check_deletable(sql, &office, &items, now)?;
            for e in &items {
                meta::delete_entry(sql, &office, &e.path)?;
            }
            Ok(items
                .into_iter()
                .filter_map(|e| e.sha256)
                .collect::<Vec<_>>())
        })
        .await?;
    // The bytes go at the next start (crate::gc), unless another row still references them.
    if !blobs.is_empty() {
        match crate::gc::PendingNote::write(&vault.notes, &blobs) {
            Ok(note) => note.leave_for_collection(),
            Err(e) => tracing::warn!(code = e.code(), "deleted files' blobs not noted"),
        }
    }
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// `PUT /v1/vault/file?path=FOLDER/NAME`: "Transférer" — a file of the workstation into the
/// office's vault. The body is the file's bytes, streamed to a spool file under the data
/// directory while its size is bounded (`max_vault_file_bytes`, else 413) and its SHA-256
/// computed (checked against `x-content-sha256` when the client announces it); the spool is
/// fsync'd and moved into the blob store, then one transaction under the commit lock records
/// the entry and its journal line. An interrupted body, a refusal or a crash leaves nothing
/// visible: the spool file is deleted when the request ends (or at the next start), and a blob
/// written before a failed commit is named in a pending note for [`crate::gc`].
///
/// The name is one component unchanged by `sceau_core::naming::sanitize` (no `..`, no
/// separator, no control character, no reserved device name, at most 100 bytes); an existing
/// name is refused (409), never replaced.
pub async fn upload(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    super::QueryParams(q): super::QueryParams<PathQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<VaultEntry>> {
    let path = clean_path(&q.path)?;
    if path.is_empty() {
        return Err(Error::BadRequest("nom de fichier manquant".into()));
    }
    let name = path.rsplit('/').next().unwrap_or(&path).to_owned();
    let max = vault.config.max_vault_file_bytes;
    let too_large = || {
        Error::TooLarge(format!(
            "le fichier dépasse la taille maximale acceptée par le coffre ({} Mo) ; \
             réduisez-le ou découpez-le avant de le transférer",
            max / (1024 * 1024)
        ))
    };
    let announced_len = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced_len.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let announced_sha = super::announced_sha256(&headers)?;
    let office = who.office.office.id.clone();
    // Refused before the body is read when the answer is already known.
    {
        let (office, path) = (office.clone(), path.clone());
        vault
            .db_read(move |sql| {
                parent_is_folder(sql, &office, &path)?;
                match meta::entry(sql, &office, &path)? {
                    Some(_) => Err(Error::PathExists),
                    None => Ok(()),
                }
            })
            .await?;
    }
    // The spool file is deleted when `spool` drops: on every error below, and when the request
    // is abandoned (the client went away and the server dropped this future).
    let spool = tempfile::NamedTempFile::new_in(vault.uploads_dir()).map_err(storage)?;
    let mut file = tokio::fs::File::from_std(spool.reopen().map_err(storage)?);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::BadRequest(format!("envoi interrompu : {e}")))?;
        size += chunk.len() as u64;
        if size > max {
            return Err(too_large());
        }
        hasher.update(&chunk);
        tokio::io::AsyncWriteExt::write_all(&mut file, &chunk)
            .await
            .map_err(storage)?;
    }
    if announced_len.is_some_and(|n| n != size) {
        return Err(Error::BadRequest("envoi incomplet".into()));
    }
    tokio::io::AsyncWriteExt::flush(&mut file)
        .await
        .map_err(storage)?;
    file.sync_all().await.map_err(storage)?;
    drop(file);
    let digest: [u8; 32] = hasher.finalize().into();
    let sha = hex::encode(digest);
    if announced_sha.is_some_and(|a| a != sha) {
        return Err(Error::DigestMismatch);
    }
    let note = crate::gc::PendingNote::write(&vault.notes, std::slice::from_ref(&sha))?;
    vault
        .blobs
        .put_spooled(&sha, spool.into_temp_path())
        .await?;
    let now = vault.clock.now();
    let entry = VaultEntry {
        path: path.clone(),
        is_folder: false,
        size,
        sha256: Some(sha.clone()),
        modified: now,
        retained_until: None,
        deposit_id: None,
        description: None,
    };
    let sender = format!("etude:{}", who.office.office.number);
    let e = entry.clone();
    let guard = vault.commit_lock.lock().await;
    vault
        .db(move |sql| {
            parent_is_folder(sql, &office, &e.path)?;
            meta::insert_entry(sql, &office, &e)?;
            crate::journal::append(
                sql,
                &[crate::journal::Entry {
                    record: crate::journal::record(
                        EvidenceEvent::OfficeFileStored,
                        now,
                        &sender,
                        &sender,
                        "",
                        vec![(name.clone(), digest)],
                        None,
                    ),
                    office_id: Some(office.clone()),
                    message: format!("Fichier {name} transféré dans votre coffre"),
                }],
            )?;
            Ok(())
        })
        .await?;
    drop(guard);
    note.committed();
    vault.feed.notify_waiters();
    tracing::info!(size, "file transferred into an office vault");
    Ok(Json(entry))
}

/// `GET /v1/vault/proof?path=`.
pub async fn proof(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    super::QueryParams(q): super::QueryParams<PathQuery>,
) -> Result<Json<ProofBundle>> {
    let e = file_entry(&vault, &who, &q.path).await?;
    let sha = e.sha256.clone().ok_or(Error::NotFound)?;
    // Lines not yet under a checkpoint get one now, under the commit lock like any write to
    // the journal.
    let guard = match &e.deposit_id {
        Some(_) => Some(vault.commit_lock.lock().await),
        None => None,
    };
    let (journal, checkpoints) = match &e.deposit_id {
        None => (Vec::new(), Vec::new()),
        Some(d) => {
            let d = d.clone();
            let v = vault.clone();
            let at = vault.clock.now();
            vault
                .db(move |sql| {
                    let rows = meta::deposit_journal(sql, &d)?;
                    let mut out = Vec::new();
                    for r in rows {
                        let prev = sql
                            .query(
                                "SELECT hash FROM journal WHERE seq = $1",
                                &[(r.seq - 1).into()],
                            )?
                            .first()
                            .map(|p| p[0].text().to_owned())
                            .unwrap_or_else(|| hex::encode([0u8; 32]));
                        out.push(ProofLine {
                            seq: r.seq,
                            prev_hash: prev,
                            record: r.record,
                            hash: r.hash,
                        });
                    }
                    let seqs: Vec<i64> = out.iter().map(|l| l.seq).collect();
                    let covering = crate::journal::covering(sql, &seqs, &v.seal, &v.tsa, at)?;
                    Ok((out, covering))
                })
                .await?
        }
    };
    drop(guard);
    // Every line of the file's service goes in the bundle; `proof::verify` checks each one and
    // that one of them names the file's digest.
    let digest = hex::decode(&sha).map_err(storage)?;
    let token = vault.tsa.timestamp_imprint(&digest, vault.clock.now())?;
    let ca_pem = std::fs::read_to_string(vault.config.data_dir.join(crate::keys::files::CA_CERT))
        .map_err(storage)?;
    Ok(Json(ProofBundle {
        path: e.path,
        sha256: sha,
        size: e.size,
        deposit_id: e.deposit_id,
        journal,
        timestamp_token: base64::engine::general_purpose::STANDARD.encode(token),
        vault_ca_pem: ca_pem,
        checkpoints,
    }))
}
