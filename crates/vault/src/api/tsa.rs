//! `POST /v1/tsa`: the vault's RFC 3161 time-stamping authority, for clients' CAdES-T.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::error::Result;
use crate::peer::Authed;
use crate::Vault;

/// Answers a TimeStampReq (`application/timestamp-query`) for a bound office.
pub async fn timestamp(
    State(vault): State<Arc<Vault>>,
    _who: Authed,
    body: Bytes,
) -> Result<impl IntoResponse> {
    let reply = vault.tsa.timestamp_reply(&body, vault.clock.now())?;
    Ok((
        [(header::CONTENT_TYPE, "application/timestamp-reply")],
        reply,
    ))
}
