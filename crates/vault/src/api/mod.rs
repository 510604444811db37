//! The HTTP API (`/v1/...`): one module per area, all errors as `{code, message}`.

pub mod bank;
pub mod deposit;
pub mod directory;
pub mod health;
pub mod invitations;
pub mod office;
pub mod openapi;
pub mod properties;
pub mod session;
pub mod tsa;

use std::sync::Arc;

use axum::routing::{get, post, put};
use axum::Router;

use crate::Vault;

/// Every route of the API.
pub fn router() -> Router<Arc<Vault>> {
    Router::new()
        .route("/v1/openapi.json", get(openapi::document))
        .route("/v1/health", get(health::health))
        .route("/v1/session", get(session::show))
        .route("/v1/session/bind", post(session::bind))
        .route("/v1/tsa", post(tsa::timestamp))
        .route(
            "/v1/recipients",
            get(directory::search).post(directory::create),
        )
        .route("/v1/recipients/{id}", get(directory::card))
        .route("/v1/recipients/{id}/consents", get(directory::consents))
        .route(
            "/v1/recipients/{id}/invitations",
            get(invitations::list).post(invitations::invite),
        )
        .route("/v1/invitations/{id}/resend", post(invitations::resend))
        .route("/v1/invitations/{id}/withdraw", post(invitations::withdraw))
        .route(
            "/v1/recipients/{id}/reception/{nature}",
            get(directory::reception),
        )
        .route("/v1/natures", get(directory::natures))
        .route("/v1/deposits/{key}", put(deposit::deposit))
        .route("/v1/events", get(office::events))
        .route("/v1/services", get(office::search))
        .route("/v1/services/{id}", get(office::detail))
        .route("/v1/vault", get(office::list))
        .route(
            "/v1/vault/file",
            get(office::download)
                .delete(office::delete)
                .put(office::upload),
        )
        .route(
            "/v1/vault/properties",
            get(office::properties).patch(properties::set).layer(
                axum::extract::DefaultBodyLimit::max(properties::MAX_BODY_BYTES),
            ),
        )
        .route("/v1/vault/folders", post(office::mkdir))
        .route("/v1/vault/move", post(office::move_entry))
        .route("/v1/vault/proof", get(office::proof))
        .route("/v1/bank/acts", get(bank::list))
        .route("/v1/bank/acts/{id}/documents/{name}", get(bank::document))
        .route("/v1/bank/acts/{id}/package", get(bank::package))
        .route("/v1/bank/acts/{id}/flow", get(bank::flow))
        .route(
            "/v1/bank/acts/{id}/return",
            put(bank::deposit_return).layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024)),
        )
        .fallback(|| async { crate::Error::NotFound })
        .layer(axum::middleware::from_fn(close_after_refused_upload))
}

/// A request refused before its body was read (an unbound certificate, a package too large...)
/// leaves the rest of its body on the connection, which the server then closes: the answer
/// says `Connection: close`, so that the client opens a new connection for its next request
/// instead of sending it on one being closed (a broken request, for the office, after a mere
/// refusal).
async fn close_after_refused_upload(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
    let h = req.headers();
    let has_body = h.contains_key(TRANSFER_ENCODING)
        || h.get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0");
    let mut r = next.run(req).await;
    if has_body && !r.status().is_success() {
        r.headers_mut()
            .insert(CONNECTION, axum::http::HeaderValue::from_static("close"));
    }
    r
}

/// The body's SHA-256 the client announced (`x-content-sha256`), lower-case hex: `None` when
/// the header is absent, an error when it is not 64 hexadecimal digits.
pub(crate) fn announced_sha256(
    headers: &axum::http::HeaderMap,
) -> crate::error::Result<Option<String>> {
    use sceau_proto::CONTENT_SHA256_HEADER;
    let Some(v) = headers.get(CONTENT_SHA256_HEADER) else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .map(str::to_ascii_lowercase)
        .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(Some)
        .ok_or_else(|| {
            crate::error::Error::BadRequest(format!("en-tête {CONTENT_SHA256_HEADER} invalide"))
        })
}

/// A JSON body whose refusal (not JSON, wrong fields, no `Content-Type`) is answered as
/// `{code: "bad_request", message}` like every other refusal, not axum's plain text.
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = crate::Error;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            // Above the route's body limit (`DefaultBodyLimit`).
            Err(rej) if rej.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(crate::Error::TooLarge(
                    "la requête dépasse la taille acceptée par le coffre".into(),
                ))
            }
            Err(rej) => Err(crate::Error::BadRequest(match &rej {
                JsonRejection::JsonSyntaxError(_) => format!(
                    "le corps n'est pas un JSON valide ({}) ; envoyez l'objet décrit par \
                     /v1/openapi.json",
                    rej.body_text()
                ),
                JsonRejection::JsonDataError(_) => format!(
                    "le JSON n'a pas les champs attendus ({}) ; voyez /v1/openapi.json",
                    rej.body_text()
                ),
                JsonRejection::MissingJsonContentType(_) => {
                    "en-tête Content-Type: application/json manquant".into()
                }
                _ => format!("corps illisible ({})", rej.body_text()),
            })),
        }
    }
}

/// Query parameters whose refusal is answered as `{code: "bad_request", message}`.
pub struct QueryParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for QueryParams<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = crate::Error;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(QueryParams(v)),
            Err(rej) => Err(crate::Error::BadRequest(format!(
                "paramètres de la requête invalides ({}) ; voyez /v1/openapi.json",
                rej.body_text()
            ))),
        }
    }
}
