//! First connection: who am I, and binding the office's space to a certificate.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use sceau_proto::{BindRequest, Office, Session};

use crate::error::{Error, Result};
use crate::peer::Peer;
use crate::store::meta::{self, OfficeRow};
use crate::Vault;

/// `GET /v1/session`: the certificate's details and the office bound to it, if any.
pub async fn show(State(vault): State<Arc<Vault>>, peer: Peer) -> Result<Json<Session>> {
    let fp = peer.info.fingerprint_sha256.clone();
    let office = vault.db(move |sql| meta::office_by_cert(sql, &fp)).await?;
    Ok(Json(Session {
        certificate: peer.info,
        office: office.map(|o| o.office),
    }))
}

/// `POST /v1/session/bind`: after the user confirmed the certificate's details, binds the
/// certificate to the office's space, creating the space on first use. A further certificate
/// (a renewal) is accepted only for the same holder.
pub async fn bind(
    State(vault): State<Arc<Vault>>,
    peer: Peer,
    Json(req): Json<BindRequest>,
) -> Result<Json<Office>> {
    if !req
        .confirm_fingerprint_sha256
        .eq_ignore_ascii_case(&peer.info.fingerprint_sha256)
    {
        return Err(Error::BindMismatch);
    }
    let number = req.office_number.trim().to_owned();
    if number.is_empty() || number.len() > 16 || !number.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(Error::BadRequest("numéro d'étude invalide".into()));
    }
    let now = vault.clock.now();
    let _guard = vault.commit_lock.lock().await;
    let office = vault
        .db(move |sql| {
            let fp = &peer.info.fingerprint_sha256;
            if let Some(bound) = meta::office_by_cert(sql, fp)? {
                return Ok(bound.office);
            }
            let holder = peer.holder().ok_or(Error::HolderUnidentified)?;
            let office = match meta::office_by_number(sql, &number)? {
                Some(existing) if existing.holder != holder => return Err(Error::BindOtherHolder),
                Some(existing) => existing,
                None => {
                    let row = OfficeRow {
                        office: Office {
                            id: uuid::Uuid::new_v4().to_string(),
                            number: number.clone(),
                            name: req.office_name.trim().to_owned(),
                        },
                        holder,
                    };
                    meta::insert_office(sql, &row, now)?;
                    row
                }
            };
            meta::bind_cert(sql, fp, &office.office.id, &peer.info.serial_hex, now)?;
            Ok(office.office)
        })
        .await?;
    tracing::info!(office = %office.number, "certificate bound");
    Ok(Json(office))
}
