//! Recipients directory, natures catalogue and reception hours.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use sceau_core::hours::ReceptionRule;
use sceau_core::ids::{Nir, Siren, Siret};
use sceau_core::recipient::CheckedRecipient;
use sceau_proto::{
    ConsentList, Nature, NewRecipient, ReceptionStatus, Recipient, RecipientKind, RecipientList,
};
use serde::Deserialize;

use crate::error::{storage, Error, Result};
use crate::peer::Authed;
use crate::store::meta::{self, Enrolment, RecipientQuery, RecipientRow, SameAs};
use crate::store::sql::Dialect;
use crate::Vault;

/// Query of `GET /v1/recipients`: exactly one criterion.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    /// SIRET (14 digits, Luhn).
    pub siret: Option<String>,
    /// SIREN (9 digits, Luhn).
    pub siren: Option<String>,
    /// NIR (15 characters, key 97).
    pub nir: Option<String>,
    /// Name prefix (case- and accent-insensitive).
    pub name: Option<String>,
}

fn invalid(e: sceau_core::CoreError) -> Error {
    Error::InvalidIdentifier(e.message_fr())
}

/// Turns the query into a validated criterion.
pub fn criterion(q: &SearchQuery) -> Result<RecipientQuery> {
    Ok(match (&q.siret, &q.siren, &q.nir, &q.name) {
        (Some(s), None, None, None) => {
            RecipientQuery::Siret(Siret::parse(s).map_err(invalid)?.as_str().to_owned())
        }
        (None, Some(s), None, None) => {
            RecipientQuery::Siren(Siren::parse(s).map_err(invalid)?.as_str().to_owned())
        }
        (None, None, Some(s), None) => {
            RecipientQuery::Nir(Nir::parse(s).map_err(invalid)?.as_str().to_owned())
        }
        (None, None, None, Some(n)) if !n.trim().is_empty() => RecipientQuery::Name(n.clone()),
        _ => {
            return Err(Error::BadRequest(
                "un seul critère : siret, siren, nir ou nom".into(),
            ))
        }
    })
}

/// `GET /v1/recipients?siret=|siren=|nir=|name=`.
pub async fn search(
    State(vault): State<Arc<Vault>>,
    _who: Authed,
    super::QueryParams(q): super::QueryParams<SearchQuery>,
) -> Result<Json<RecipientList>> {
    let c = criterion(&q)?;
    let recipients = vault
        .db(move |sql| {
            meta::search_recipients(sql, &c, 50)?
                .iter()
                .map(|r| meta::placed_card(sql, r))
                .collect::<Result<Vec<_>>>()
        })
        .await?;
    Ok(Json(RecipientList { recipients }))
}

/// Key of the PostgreSQL advisory lock that serialises recipient creations across processes
/// (on SQLite the write transaction is `IMMEDIATE` already), so that two offices creating the
/// same person at once cannot both find no duplicate.
const CREATE_LOCK_KEY: i64 = 0x5CEA_0002;

/// `POST /v1/recipients`: a new recipient from the office. Checked by the core's rule (every
/// problem: `422 recipient_invalid`), refused when the directory has it already (same SIRET,
/// same NIR, or same e-mail and birth date: `409 recipient_duplicate` with the existing cards,
/// never merged), else stored with the office that created it and the vault's time: `201` with
/// its card. A refusal stores nothing. Personal data stays out of the log: kind and id only.
pub async fn create(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    super::JsonBody(new): super::JsonBody<NewRecipient>,
) -> Result<(StatusCode, Json<Recipient>)> {
    let now = vault.clock.now();
    let today = now.with_timezone(&sceau_core::PARIS).date_naive();
    let checked = new.check(today).map_err(Error::RecipientInvalid)?;
    let office = who.office.office.id.clone();
    let (row, enrolment, same) = enrolment_of(&checked, &office, now)?;
    // A person's place is the département of her postal address (a company's registered office
    // is not collected from offices: its place stays unknown, set by the operator if needed).
    let region = match &checked {
        CheckedRecipient::Person(p) => {
            sceau_core::region::Region::from_postal_code(&p.postal_code).ok()
        }
        CheckedRecipient::Company(_) => None,
    };
    let card = vault
        .db(move |sql| {
            if sql.dialect() == Dialect::Postgres {
                sql.exec(
                    "SELECT pg_advisory_xact_lock($1)",
                    &[CREATE_LOCK_KEY.into()],
                )?;
            }
            let existing = meta::duplicates(sql, &same)?;
            if !existing.is_empty() {
                return Err(Error::RecipientDuplicate(
                    existing
                        .iter()
                        .map(|r| meta::placed_card(sql, r))
                        .collect::<Result<_>>()?,
                ));
            }
            meta::insert_enrolled_recipient(sql, &row, &enrolment)?;
            meta::set_recipient_region(sql, &row.id, region.as_ref())?;
            meta::placed_card(sql, &row)
        })
        .await?;
    tracing::info!(
        recipient = %card.id,
        kind = card.kind.code(),
        office = %office,
        "recipient created by an office"
    );
    Ok((StatusCode::CREATED, Json(card)))
}

/// The row, the enrolment facts and the duplicate criteria of a checked new recipient.
fn enrolment_of(
    checked: &CheckedRecipient,
    office: &str,
    now: DateTime<Utc>,
) -> Result<(RecipientRow, Enrolment, SameAs)> {
    let id = uuid::Uuid::new_v4().to_string();
    Ok(match checked {
        CheckedRecipient::Person(p) => {
            let address = serde_json::json!({
                "lines": p.address_lines,
                "postal_code": p.postal_code,
                "city": p.city,
            });
            let nir = p.nir.as_ref().map(|n| n.as_str().to_owned());
            (
                RecipientRow {
                    id,
                    kind: RecipientKind::Person,
                    name: checked.display_name(),
                    siret: None,
                    siren: None,
                    nir: nir.clone(),
                    email: Some(p.email.clone()),
                    phone_fixed: None,
                    phone_mobile: Some(p.mobile.clone()),
                },
                Enrolment {
                    civility: Some(p.civility.code().into()),
                    first_names: Some(p.first_names.clone()),
                    last_name: Some(p.last_name.clone()),
                    birth_date: Some(p.birth_date),
                    address: Some(serde_json::to_string(&address).map_err(storage)?),
                    created_by: office.into(),
                    created_at: now,
                },
                SameAs {
                    siret: None,
                    nir,
                    email_and_birth: Some((p.email.clone(), p.birth_date)),
                },
            )
        }
        CheckedRecipient::Company(c) => (
            RecipientRow {
                id,
                kind: RecipientKind::Company,
                name: c.name.clone(),
                siret: Some(c.siret.as_str().into()),
                siren: Some(c.siret.siren().as_str().into()),
                nir: None,
                email: Some(c.email.clone()),
                phone_fixed: None,
                phone_mobile: Some(c.mobile.clone()),
            },
            Enrolment {
                civility: None,
                first_names: None,
                last_name: None,
                birth_date: None,
                address: None,
                created_by: office.into(),
                created_at: now,
            },
            SameAs {
                siret: Some(c.siret.as_str().into()),
                nir: None,
                email_and_birth: None,
            },
        ),
    })
}

/// `GET /v1/recipients/{id}`: the recipient card.
pub async fn card(
    State(vault): State<Arc<Vault>>,
    _who: Authed,
    Path(id): Path<String>,
) -> Result<Json<Recipient>> {
    let card = vault
        .db(move |sql| match meta::recipient(sql, &id)? {
            Some(row) => meta::placed_card(sql, &row).map(Some),
            None => Ok(None),
        })
        .await?
        .ok_or(Error::UnknownRecipient)?;
    Ok(Json(card))
}

/// `GET /v1/recipients/{id}/consents`: the recipient's consents in the register.
pub async fn consents(
    State(vault): State<Arc<Vault>>,
    _who: Authed,
    Path(id): Path<String>,
) -> Result<Json<ConsentList>> {
    let consents = vault
        .db(move |sql| {
            meta::recipient(sql, &id)?.ok_or(Error::UnknownRecipient)?;
            meta::list_consents(sql, Some(&id))
        })
        .await?;
    Ok(Json(ConsentList { consents }))
}

/// `GET /v1/natures`: the catalogue.
pub async fn natures(State(vault): State<Arc<Vault>>, _who: Authed) -> Json<Vec<Nature>> {
    Json(
        vault
            .natures
            .natures
            .iter()
            .map(|n| Nature {
                code: n.code.clone(),
                label: n.label_fr.clone(),
                return_expected: n.expects_return,
            })
            .collect(),
    )
}

/// Query of the reception API.
#[derive(Debug, Deserialize)]
pub struct ReceptionQuery {
    /// Reference of a judge's permission (lifts the legal hours, not the recipient's).
    pub judge_permission: Option<String>,
    /// The office is in Alsace-Moselle (its place when the operator declared none: Good Friday,
    /// 26 December), for a recipient whose place is unknown.
    pub alsace_moselle: Option<bool>,
}

/// The recipient's rule for a nature, if any.
pub async fn rule_of(
    vault: &Vault,
    recipient_id: &str,
    nature: &str,
) -> Result<Option<ReceptionRule>> {
    let (r, n) = (recipient_id.to_owned(), nature.to_owned());
    vault
        .db(move |sql| meta::rule(sql, &r, &n))
        .await?
        .map(|json| serde_json::from_str(&json).map_err(crate::error::storage))
        .transpose()
}

/// Whether service is allowed now, as a status: in the governing place's local time and
/// calendar (the recipient's place, else the office's — declared by the operator, else
/// Alsace-Moselle when the office says it is there —, else the vault's default; ARCHITECTURE.md,
/// "The place of a service"), the next opening in that local time with its zone named when it
/// is not Paris's.
pub async fn reception_status(
    vault: &Vault,
    recipient_id: &str,
    nature: &str,
    judge_permission: Option<&str>,
    office_number: &str,
    office_alsace_moselle: bool,
) -> Result<ReceptionStatus> {
    if vault.natures.get(nature).is_none() {
        return Err(Error::UnknownNature(nature.into()));
    }
    let rule = rule_of(vault, recipient_id, nature).await?;
    let (r, n) = (recipient_id.to_owned(), office_number.to_owned());
    let (recipient, office) = vault
        .db_read(move |sql| {
            Ok((
                meta::recipient_region(sql, &r)?,
                meta::office_region(sql, &n)?,
            ))
        })
        .await?;
    // The office's own flag stands for its place when the operator declared none.
    let office = office.or_else(|| {
        office_alsace_moselle
            .then(|| sceau_core::region::Region::from_code("67").ok())
            .flatten()
    });
    let place = crate::place::with_default(
        vault,
        sceau_core::place::governing(recipient.as_ref(), office.as_ref()),
    );
    let time_zone = Some(place.region.time_zone().name().to_owned());
    let zone_named = sceau_core::place::zone_named(&place.region);
    Ok(
        match sceau_core::place::service_allowed_at(
            vault.clock.now(),
            rule.as_ref(),
            judge_permission,
            &place.region,
        ) {
            Ok(()) => ReceptionStatus {
                open: true,
                reason: None,
                message: None,
                next_opening: None,
                time_zone,
                zone_named,
            },
            Err(closed) => ReceptionStatus {
                open: false,
                reason: Some(closed.reason.code().to_owned()),
                message: Some(closed.message_fr),
                next_opening: (closed.next_opening != sceau_core::hours::NEVER)
                    .then_some(closed.next_opening),
                time_zone,
                zone_named,
            },
        },
    )
}

/// `GET /v1/recipients/{id}/reception/{nature}`: open or closed now, and the next opening.
pub async fn reception(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    Path((id, nature)): Path<(String, String)>,
    super::QueryParams(q): super::QueryParams<ReceptionQuery>,
) -> Result<Json<ReceptionStatus>> {
    let id2 = id.clone();
    vault
        .db(move |sql| meta::recipient(sql, &id2))
        .await?
        .ok_or(Error::UnknownRecipient)?;
    Ok(Json(
        reception_status(
            &vault,
            &id,
            &nature,
            q.judge_permission.as_deref(),
            &who.office.office.number,
            q.alsace_moselle.unwrap_or(false),
        )
        .await?,
    ))
}
