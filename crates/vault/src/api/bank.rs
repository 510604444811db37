//! The bank API (`/v1/bank/...`): a bank authenticates with its own certificate over mutual TLS
//! (checked like an office's, then bound to a recipient of kind bank with
//! `sceau-vault bank bind`); it lists its new acts, downloads them (which is the consultation,
//! recorded at the vault's time) and deposits returns. Every lookup is scoped to the bank's
//! recipient: another recipient's act answers `not_found`.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::Json;
use base64::Engine;
use sceau_proto::{BankAct, BankActList, RecipientKind, ReturnReceipt, ReturnUpload};
use serde::Deserialize;

use crate::delivery::{self, Channel};
use crate::error::{Error, Result};
use crate::peer::Peer;
use crate::store::meta::{self, DepositRow, RecipientRow};
use crate::Vault;

/// A checked client certificate bound to a bank.
#[derive(Debug, Clone)]
pub struct Bank {
    /// The bank as a recipient.
    pub recipient: RecipientRow,
}

impl FromRequestParts<Arc<Vault>> for Bank {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, vault: &Arc<Vault>) -> Result<Self> {
        // The bank's own trust list: a certificate of an office CA alone is not a bank's (when
        // bank CAs are configured), and one of a bank CA alone never reaches the offices' routes.
        let certs = parts
            .extensions
            .get::<crate::peer::PeerCerts>()
            .cloned()
            .unwrap_or_default();
        vault.bank_checker.check(&certs.0, vault.clock.now())?;
        if certs
            .0
            .first()
            .is_some_and(|ee| vault.revocation.is_revoked_der(ee.as_ref()))
        {
            return Err(Error::CertificateRevoked);
        }
        let ee = certs.0.first().ok_or(Error::CertificateMissing)?;
        let peer = Peer::from_der(ee.as_ref())?;
        let fp = peer.info.fingerprint_sha256.clone();
        let recipient = vault
            .db(move |sql| {
                let Some(id) = meta::bank_by_cert(sql, &fp)? else {
                    return Ok(None);
                };
                meta::recipient(sql, &id)
            })
            .await?
            .filter(|r| r.kind == RecipientKind::Bank)
            .ok_or(Error::CertificateNotBound)?;
        Ok(Bank { recipient })
    }
}

/// `?all=true` lists every act, not only the new ones.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// All acts.
    #[serde(default)]
    pub all: bool,
}

/// `GET /v1/bank/acts`.
pub async fn list(
    State(vault): State<Arc<Vault>>,
    bank: Bank,
    super::QueryParams(q): super::QueryParams<ListQuery>,
) -> Result<Json<BankActList>> {
    let rid = bank.recipient.id.clone();
    let acts = vault
        .db(move |sql| meta::recipient_acts(sql, &rid, 1000))
        .await?;
    tracing::info!(action = "bank_list", "bank access");
    Ok(Json(BankActList {
        acts: acts
            .into_iter()
            .filter(|a| q.all || a.consulted_at.is_none())
            .map(|a| {
                let n = vault.natures.get(&a.deposit.nature);
                BankAct {
                    deposit_id: a.deposit.id.clone(),
                    deposited_at: a.deposit.deposited_at,
                    nature: a.deposit.nature.clone(),
                    nature_label: n.map(|n| n.label_fr.clone()).unwrap_or_default(),
                    reference: a.deposit.reference.clone(),
                    documents: a.deposit.files.clone(),
                    consulted_at: a.consulted_at,
                    return_expected: n.is_some_and(|n| n.expects_return),
                    returned: a.returned,
                }
            })
            .collect(),
    }))
}

async fn own(vault: &Arc<Vault>, bank: &Bank, id: &str) -> Result<DepositRow> {
    let (rid, id) = (bank.recipient.id.clone(), id.to_owned());
    vault
        .db(move |sql| meta::recipient_deposit(sql, &rid, &id))
        .await?
        .ok_or(Error::NotFound)
}

/// `GET /v1/bank/acts/{id}/documents/{name}`: the act (the consultation).
pub async fn document(
    State(vault): State<Arc<Vault>>,
    bank: Bank,
    Path((id, name)): Path<(String, String)>,
) -> Result<impl IntoResponse> {
    let d = own(&vault, &bank, &id).await?;
    if !d.files.contains(&name) {
        return Err(Error::NotFound);
    }
    let (rid, did, n) = (bank.recipient.id.clone(), d.id.clone(), name.clone());
    let sha = vault
        .db(move |sql| meta::recipient_file_sha(sql, &rid, &did, &n))
        .await?
        .ok_or(Error::NotFound)?;
    let blob = consult(&vault, &d, &sha).await?;
    tracing::info!(action = "bank_document", "bank access");
    Ok(streamed(blob, "application/pdf"))
}

/// `GET /v1/bank/acts/{id}/package`: the sealed archive (also a consultation).
pub async fn package(
    State(vault): State<Arc<Vault>>,
    bank: Bank,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    let d = own(&vault, &bank, &id).await?;
    let did = d.id.clone();
    let sha = vault
        .db(move |sql| meta::deposit_archive_sha(sql, &did))
        .await?
        .ok_or(Error::NotFound)?;
    let blob = consult(&vault, &d, &sha).await?;
    Ok(streamed(blob, "application/zip"))
}

/// `GET /v1/bank/acts/{id}/flow`: the single XML flow (`flux_acte.xml`: the data message and
/// the signed acts with their signatures in one XML document, arrêté of 2012 art. 8); also a
/// consultation. A deposit made before the flow existed has none (404).
pub async fn flow(
    State(vault): State<Arc<Vault>>,
    bank: Bank,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    let d = own(&vault, &bank, &id).await?;
    let blob = crate::flow::open(&vault, &bank.recipient.id, &d.id)
        .await?
        .ok_or(Error::NotFound)?;
    consulted(&vault, &d).await?;
    tracing::info!(action = "bank_flow", "bank access");
    Ok(streamed(blob, "application/xml"))
}

/// A blob sent as it is read (never whole in memory), with its type and length.
fn streamed(blob: crate::store::blobs::BlobStream, mime: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CONTENT_LENGTH, blob.size.to_string()),
        ],
        axum::body::Body::from_stream(blob.chunks),
    )
}

/// `PUT /v1/bank/acts/{id}/return`.
pub async fn deposit_return(
    State(vault): State<Arc<Vault>>,
    bank: Bank,
    Path(id): Path<String>,
    super::JsonBody(up): super::JsonBody<ReturnUpload>,
) -> Result<Json<ReturnReceipt>> {
    let d = own(&vault, &bank, &id).await?;
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(up.pdf_base64.as_bytes())
        .map_err(|_| Error::BadRequest("pdf_base64 n'est pas du base64".into()))?;
    let answer = up
        .answer
        .map(|a| serde_json::to_vec(&a))
        .transpose()
        .map_err(|e| Error::BadRequest(e.to_string()))?;
    let r = crate::returns::accept(&vault, &d, pdf, answer).await?;
    tracing::info!(action = "bank_return", "bank access");
    Ok(Json(ReturnReceipt {
        name: r.name,
        deposited_at: r.deposited_at,
    }))
}

/// The blob `sha` of deposit `d`, read for the bank: reading it is the consultation.
async fn consult(
    vault: &Arc<Vault>,
    d: &DepositRow,
    sha: &str,
) -> Result<crate::store::blobs::BlobStream> {
    let blob = vault
        .blobs
        .open(sha)
        .await?
        .ok_or_else(|| crate::error::storage("blob missing"))?;
    consulted(vault, d).await?;
    Ok(blob)
}

/// Records the bank's reading of deposit `d`. The bank's download returns once "à personne" is
/// filed, so that what the bank saw and what the office's feed says agree when the answer
/// arrives.
async fn consulted(vault: &Arc<Vault>, d: &DepositRow) -> Result<()> {
    if let Some(filed) = delivery::record_consultation(vault, d, Channel::BankApi).await? {
        let _ = filed.await;
    }
    Ok(())
}
