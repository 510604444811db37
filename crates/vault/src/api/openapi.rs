//! `GET /v1/openapi.json`: the API described by a hand-written OpenAPI 3.1 document (lighter
//! than a derive framework for a few dozen routes; the types themselves live in `sceau-proto`).

use axum::Json;
use serde_json::{json, Value};

/// The OpenAPI document.
pub async fn document() -> Json<Value> {
    Json(spec())
}

fn op(summary: &str) -> Value {
    json!({
        "summary": summary,
        "responses": {
            "200": {"description": "OK"},
            "default": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
        }
    })
}

/// The document as JSON.
pub fn spec() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Sceau vault API", "version": "1"},
        "components": {
            "securitySchemes": {"mutualTLS": {"type": "mutualTLS"}},
            "schemas": {
                "ErrorBody": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}
                }
            }
        },
        "security": [{"mutualTLS": []}],
        "paths": {
            "/v1/session": {"get": op("The client certificate and the office bound to it")},
            "/v1/session/bind": {"post": op("Bind the office's space to the client certificate")},
            "/v1/tsa": {"post": op("RFC 3161 time-stamping (application/timestamp-query)")},
            "/v1/recipients": {"get": op("Search recipients by siret, siren, nir or name")},
            "/v1/recipients/{id}": {"get": op("Recipient card")},
            "/v1/natures": {"get": op("Catalogue of natures of acts")},
            "/v1/recipients/{id}/reception/{nature}": {"get": op("Open or closed now, next opening")},
            "/v1/deposits/{idempotency_key}": {"put": op("Deposit a package (streamed ZIP; headers x-content-sha256)")},
            "/v1/events": {"get": op("Event feed after a cursor (long-poll with wait=seconds)")},
            "/v1/services": {"get": op("Search services")},
            "/v1/services/{id}": {"get": op("Service detail sheet with history")},
            "/v1/vault": {"get": op("List a folder of the office vault")},
            "/v1/vault/file": {"get": op("Download a file"), "delete": op("Delete a file or empty folder")},
            "/v1/vault/properties": {"get": op("Properties of a file")},
            "/v1/vault/folders": {"post": op("Create a folder")},
            "/v1/vault/move": {"post": op("Move or rename")},
            "/v1/vault/proof": {"get": op("Proof bundle of a file")}
        }
    })
}
