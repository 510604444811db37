//! First connection: who am I, and binding the office's space to a certificate.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use sceau_proto::{BindRequest, Office, Session};

use crate::error::{Error, Result};
use crate::peer::{Peer, PeerCerts};
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
/// certificate to the office's space, creating the space on first use. Only an office the
/// operator declared (`sceau-vault office add`) can be bound, and only by a certificate of the
/// declared holder chaining to the declared CA — a renewal included. A bank's certificate never
/// binds. The office's name is the declared one (else the one typed, bounded).
pub async fn bind(
    State(vault): State<Arc<Vault>>,
    peer: Peer,
    certs: Option<axum::Extension<PeerCerts>>,
    super::JsonBody(req): super::JsonBody<BindRequest>,
) -> Result<Json<Office>> {
    if !req
        .confirm_fingerprint_sha256
        .eq_ignore_ascii_case(&peer.info.fingerprint_sha256)
    {
        return Err(Error::BindMismatch);
    }
    let number = req.office_number.trim().to_owned();
    if !crate::admin::valid_office_number(&number) {
        return Err(Error::BadRequest("numéro d'étude invalide".into()));
    }
    let chain = certs.map(|c| c.0 .0.clone()).unwrap_or_default();
    let now = vault.clock.now();
    let revoked = vault.config.revoked_serials.clone();
    let _guard = vault.commit_lock.lock().await;
    let office = vault
        .db(move |sql| {
            let fp = &peer.info.fingerprint_sha256;
            if meta::bank_by_cert(sql, fp)?.is_some() {
                return Err(Error::BankCannotBind);
            }
            if let Some(bound) = meta::office_by_cert(sql, fp)? {
                return Ok(bound.office);
            }
            let holder = peer.holder().ok_or(Error::HolderUnidentified)?;
            let declared = meta::declared_office(sql, &number)?
                .ok_or_else(|| Error::OfficeNotDeclared(number.clone()))?;
            let holder_matches = if declared.holder.contains('=') {
                declared.holder == holder
            } else {
                peer.summary.common_name.as_deref() == Some(declared.holder.as_str())
            };
            if !holder_matches {
                return Err(Error::BindOtherHolder);
            }
            let ca_der = hex::decode(&declared.ca_der_hex).map_err(crate::error::storage)?;
            crate::tls::ClientChecker::new(&[ca_der], &revoked)?
                .check(&chain, now)
                .map_err(|_| Error::BindIssuerMismatch)?;
            let office = match meta::office_by_number(sql, &number)? {
                Some(existing) if existing.holder != holder => return Err(Error::BindOtherHolder),
                Some(existing) => existing,
                None => {
                    let typed: String = req.office_name.trim().chars().take(120).collect();
                    let row = OfficeRow {
                        office: Office {
                            id: uuid::Uuid::new_v4().to_string(),
                            number: number.clone(),
                            name: declared.name.clone().unwrap_or(typed),
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
