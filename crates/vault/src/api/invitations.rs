//! The office's invitations to electronic service (`crate::invitation`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sceau_proto::{Invitation, InvitationList, InvitationRequest};

use super::JsonBody;
use crate::error::Result;
use crate::invitation;
use crate::peer::Authed;
use crate::Vault;

/// `POST /v1/recipients/{id}/invitations`.
pub async fn invite(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<InvitationRequest>,
) -> Result<(StatusCode, Json<Invitation>)> {
    let i = invitation::invite(&vault, &who, &id, &req).await?;
    Ok((StatusCode::CREATED, Json(i)))
}

/// `GET /v1/recipients/{id}/invitations`.
pub async fn list(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<InvitationList>> {
    Ok(Json(InvitationList {
        invitations: invitation::list(&vault, &who, &id).await?,
    }))
}

/// `POST /v1/invitations/{id}/resend`.
pub async fn resend(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<Invitation>> {
    Ok(Json(invitation::resend(&vault, &who, &id).await?))
}

/// `POST /v1/invitations/{id}/withdraw`.
pub async fn withdraw(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<Invitation>> {
    Ok(Json(invitation::withdraw(&vault, &who, &id).await?))
}
