//! `GET /v1/health`: whether this instance can serve, for a load balancer's checks and an
//! operator's probe. No certificate is asked for (a check over TCP pass-through presents none);
//! nothing of the offices or recipients is said.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use crate::Vault;

/// The answer: `ok` with 200, or `unavailable` with 503 and what is down.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// The metadata store answers a read.
    pub database: bool,
    /// The blob store answers a lookup.
    pub blobs: bool,
}

/// The blob name looked up (none has it: a content hash of 64 zeros).
const PROBE: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Reads from both stores; 200 when both answer, else 503 (the balancer then sends the
/// requests to the other instances).
pub async fn health(State(vault): State<Arc<Vault>>) -> (StatusCode, Json<Health>) {
    let database = vault
        .db_read(|sql| sql.query("SELECT 1", &[]).map(|_| ()))
        .await
        .is_ok();
    let blobs = vault.blobs.open(PROBE).await.is_ok();
    let ok = database && blobs;
    if !ok {
        tracing::warn!(database, blobs, "health check failed");
    }
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(Health {
            status: if ok { "ok" } else { "unavailable" },
            database,
            blobs,
        }),
    )
}
