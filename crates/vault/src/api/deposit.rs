//! `PUT /v1/deposits/{idempotency_key}`: the deposit of a package (steps 3, 5 and 6 of a
//! service).
//!
//! The body (a ZIP of stored entries: `manifest.json`, the signed PDF/A acts, their `.p7s`, the
//! XML data message) is streamed to a spool file while its SHA-256 and size are checked, then
//! read and accepted ([`crate::acceptance`]: the checks, the sealed attestation and
//! archive, the commit).
//!
//! Idempotency: a retry with the same key and the same content digest returns the first receipt;
//! the same key with another digest is refused (`idempotency_conflict`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use futures_util::StreamExt;
use sceau_proto::{DepositReceipt, CONTENT_SHA256_HEADER};
use sha2::{Digest, Sha256};

use crate::acceptance::{self, Package};
use crate::error::{storage, Error, Result};
use crate::peer::Authed;
use crate::store::meta::{self, DepositRow};
use crate::store::pool::PooledFile;
use crate::Vault;

fn valid_key(key: &str) -> bool {
    (8..=128).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// The handler.
pub async fn deposit(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<DepositReceipt>> {
    if !valid_key(&key) {
        return Err(Error::BadRequest(
            "clé d'idempotence invalide (8 à 128 caractères)".into(),
        ));
    }
    let announced = super::announced_sha256(&headers)?
        .ok_or_else(|| Error::BadRequest(format!("en-tête {CONTENT_SHA256_HEADER} manquant")))?;
    // The body is always read in full (and its digest checked) before answering, also for a
    // retry: the client is not cut off mid-upload, and a replay is proven to be the same content.
    let spool = receive(&vault, body, &announced).await?;
    if let Some(existing) = find(&vault, &who.office.office.id, &key).await? {
        return replay(existing, &announced);
    }
    let package = {
        let max_doc = vault.config.max_document_bytes;
        tokio::task::spawn_blocking(move || Package::read(spool, max_doc))
            .await
            .map_err(storage)??
    };
    acceptance::accept(&vault, &who, &key, &announced, package)
        .await
        .map(Json)
}

async fn find(vault: &Vault, office_id: &str, key: &str) -> Result<Option<DepositRow>> {
    let (o, k) = (office_id.to_owned(), key.to_owned());
    vault
        .db_read(move |sql| meta::deposit_by_key(sql, &o, &k))
        .await
}

fn replay(existing: DepositRow, announced: &str) -> Result<Json<DepositReceipt>> {
    if existing.content_sha256 != announced {
        return Err(Error::IdempotencyConflict);
    }
    Ok(Json(
        serde_json::from_str(&existing.receipt).map_err(storage)?,
    ))
}

/// Streams the body to a spool file, checking size and digest.
async fn receive(vault: &Vault, body: Body, announced: &str) -> Result<PooledFile> {
    let max = vault.config.max_package_bytes;
    let spool = vault.spools.take()?;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(spool.path())
        .await
        .map_err(storage)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::BadRequest(format!("envoi interrompu : {e}")))?;
        size += chunk.len() as u64;
        if size > max {
            return Err(Error::TooLarge(format!("paquet de plus de {max} octets")));
        }
        hasher.update(&chunk);
        tokio::io::AsyncWriteExt::write_all(&mut file, &chunk)
            .await
            .map_err(storage)?;
    }
    tokio::io::AsyncWriteExt::flush(&mut file)
        .await
        .map_err(storage)?;
    if hex::encode(hasher.finalize()) != announced {
        return Err(Error::DigestMismatch);
    }
    Ok(spool)
}
