//! An office's invitation to electronic service (CPC 748-2), as the platform article describes
//! it: the office proposes, the recipient answers on the portal (`portal::consent`), the
//! register proves it (`register`). Here: sending an invitation by e-mail and SMS, sending it
//! again, withdrawing it, and where it stands. An office sees and acts on its own invitations
//! only; another office's answer "introuvable".

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sceau_core::consent::{mask_email, mask_mobile};
use sceau_core::recipient::{mobile_e164, normalise_email};
use sceau_proto::{Invitation, InvitationRequest, InvitationState};

use crate::error::{Error, Result};
use crate::notify::{self, token_hash};
use crate::peer::Authed;
use crate::store::meta::{self, InvitationRow, OfficeRow, RecipientRow};
use crate::store::sql::Sql;
use crate::Vault;

/// Days an invitation may be answered, unless the office says otherwise.
pub const DEFAULT_DAYS: u32 = 15;
/// The longest an invitation may wait for its answer.
pub const MAX_DAYS: u32 = 60;
/// The longest a consent may be asked for (months); beyond, until revoked.
pub const MAX_CONSENT_MONTHS: u32 = 120;

/// Why an invitation is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No nature of act proposed.
    NoNature,
    /// The answering time is outside 1..=[`MAX_DAYS`] days.
    BadDays,
    /// The consent's duration is outside 1..=[`MAX_CONSENT_MONTHS`] months.
    BadMonths,
    /// The recipient has no usable e-mail address.
    NoEmail,
    /// The recipient has no usable mobile number.
    NoMobile,
    /// This office already has an invitation waiting for this recipient's answer.
    AlreadyPending,
    /// The invitation has been answered or withdrawn: it cannot be sent again or withdrawn.
    Answered(InvitationState),
    /// The e-mail or the SMS could not be sent.
    NotSent,
}

impl Refusal {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NoNature => "invitation_no_nature",
            Refusal::BadDays => "invitation_bad_days",
            Refusal::BadMonths => "invitation_bad_months",
            Refusal::NoEmail => "invitation_no_email",
            Refusal::NoMobile => "invitation_no_mobile",
            Refusal::AlreadyPending => "invitation_pending",
            Refusal::Answered(_) => "invitation_answered",
            Refusal::NotSent => "invitation_not_sent",
        }
    }

    /// What is wrong and what to do, in French.
    pub fn message_fr(&self) -> String {
        match self {
            Refusal::NoNature => {
                "Indiquez au moins une nature d'acte à laquelle le destinataire consentirait."
                    .into()
            }
            Refusal::BadDays => format!(
                "Le délai de réponse d'une invitation va de 1 à {MAX_DAYS} jours (par défaut \
                 {DEFAULT_DAYS})."
            ),
            Refusal::BadMonths => format!(
                "La durée d'un consentement va de 1 à {MAX_CONSENT_MONTHS} mois ; sans durée, il \
                 vaut jusqu'à sa révocation."
            ),
            Refusal::NoEmail => "Le destinataire n'a pas d'adresse électronique valide : \
                                 complétez sa fiche (le consentement se vérifie par un code \
                                 envoyé par courriel et un autre par SMS). Rien n'a été envoyé."
                .into(),
            Refusal::NoMobile => "Le destinataire n'a pas de numéro de mobile valide : complétez \
                                  sa fiche (le consentement se vérifie par un code envoyé par \
                                  courriel et un autre par SMS). Rien n'a été envoyé."
                .into(),
            Refusal::AlreadyPending => "Une invitation de votre étude attend déjà la réponse de \
                                        ce destinataire : renvoyez-la ou retirez-la plutôt que \
                                        d'en créer une autre."
                .into(),
            Refusal::Answered(s) => format!(
                "Cette invitation n'attend plus de réponse ({}) : rien n'a été changé.",
                s.label_fr()
            ),
            Refusal::NotSent => "L'invitation n'a pas pu être envoyée (courriel ou SMS) : rien \
                                 n'a été enregistré. Réessayez dans quelques minutes."
                .into(),
        }
    }

    /// HTTP status class: a conflict with the register's state, a service down, or bad input.
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Refusal::AlreadyPending | Refusal::Answered(_) => StatusCode::CONFLICT,
            Refusal::NotSent => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

fn refuse(r: Refusal) -> Error {
    Error::Invitation(r)
}

/// The key of an invitation's codes in `portal_codes`.
pub fn code_key(invitation_id: &str) -> String {
    format!("invitation:{invitation_id}")
}

/// Where invitation `row` stands at `now` (`locked`: its codes were tried too often).
pub fn state(row: &InvitationRow, locked: bool, now: DateTime<Utc>) -> InvitationState {
    match row.state {
        InvitationState::Pending if locked => InvitationState::Locked,
        InvitationState::Pending if row.expires_at <= now => InvitationState::Expired,
        s => s,
    }
}

/// Whether the codes of invitation `id` are locked (too many wrong tries).
pub fn locked(sql: &mut dyn Sql, id: &str, max: i64) -> Result<bool> {
    Ok(meta::code_state(sql, &code_key(id))?.is_some_and(|s| s.attempts >= max))
}

/// The office's view of `row`.
pub fn view(row: &InvitationRow, locked: bool, now: DateTime<Utc>) -> Invitation {
    Invitation {
        id: row.id.clone(),
        recipient_id: row.recipient_id.clone(),
        natures: row.natures.clone(),
        state: state(row, locked, now),
        sent_at: row.sent_at,
        expires_at: row.expires_at,
        answered_at: row.answered_at,
        consent_id: row.consent_id.clone(),
        consent_months: row.consent_months,
    }
}

/// How the office is named to the recipient: "Maître Jeanne DUPONT, commissaire de justice
/// (Etude Dupont, n° 9991)".
pub fn office_name(o: &OfficeRow) -> String {
    format!(
        "Maître {}, commissaire de justice ({}, n° {})",
        holder_name(&o.holder),
        o.office.name,
        o.office.number
    )
}

/// The holder's name: as declared ("Jeanne DUPONT"), or the common name of a certificate
/// subject kept whole ("CN=Jeanne DUPONT,GIVENNAME=Jeanne,...").
fn holder_name(holder: &str) -> &str {
    holder
        .split(',')
        .find_map(|part| part.trim().strip_prefix("CN="))
        .unwrap_or(holder)
        .trim()
}

/// How the office is named where space is short (an SMS): "Maître Jeanne DUPONT".
pub fn office_short_name(o: &OfficeRow) -> String {
    format!("Maître {}", holder_name(&o.holder))
}

/// The portal address of an invitation's link.
pub fn url(vault: &Vault, token: &str) -> String {
    format!(
        "{}/portail/consentement/{token}",
        vault.config.portal.public_url.trim_end_matches('/')
    )
}

/// The recipient's e-mail and mobile, checked (both are needed: one code goes to each).
pub fn contacts(r: &RecipientRow) -> Result<(String, String)> {
    let email = r
        .email
        .as_deref()
        .and_then(normalise_email)
        .ok_or(refuse(Refusal::NoEmail))?;
    let mobile = r
        .phone_mobile
        .as_deref()
        .and_then(mobile_e164)
        .ok_or(refuse(Refusal::NoMobile))?;
    Ok((email, mobile))
}

/// The natures' French labels (the code itself for one the catalogue lacks).
pub(crate) fn nature_labels(vault: &Vault, natures: &[String]) -> Vec<String> {
    natures
        .iter()
        .map(|c| {
            vault
                .natures
                .get(c)
                .map_or_else(|| c.clone(), |n| n.label_fr.clone())
        })
        .collect()
}

/// Sends the invitation's e-mail and SMS (the link in both; no personal data of any act).
async fn send(
    vault: &Vault,
    office: &OfficeRow,
    recipient: &RecipientRow,
    row: &InvitationRow,
    token: &str,
) -> Result<()> {
    let (email, mobile) = contacts(recipient)?;
    let link = url(vault, token);
    let office_name = office_name(office);
    let natures = nature_labels(vault, &row.natures).join(", ");
    let until = sceau_core::naming::format_paris(row.expires_at);
    let body = format!(
        "Bonjour,\n\n\
         {office_name} vous propose de recevoir par voie électronique, dans un coffre-fort \
         électronique, ses actes des natures suivantes : {natures}.\n\n\
         Si vous acceptez, chaque acte vous sera annoncé par courriel et par SMS. Ouvert le jour \
         de son envoi, il vous est signifié « à personne » ; sinon il l'est « à domicile », et \
         une lettre simple vous en avise. Vous pourrez révoquer votre consentement à tout \
         moment.\n\n\
         Pour lire la déclaration et répondre (accepter ou refuser), ouvrez ce lien personnel, \
         valable jusqu'au {until} :\n{link}\n\n\
         Deux codes vous seront alors envoyés, l'un par courriel, l'autre par SMS, pour \
         confirmer que ces coordonnées sont les vôtres.\n\n\
         Sans réponse de votre part, rien ne change : les actes vous seront signifiés sur \
         papier.\n\n\
         Ne transférez pas ce message. Coffre-fort Sceau\n"
    );
    // Short: one link, the office, no personal data.
    let sms = format!(
        "Sceau : {}, commissaire de justice, vous propose de recevoir ses actes par voie \
         électronique. Détails et réponse : {link}",
        office_short_name(office)
    );
    let sent = async {
        notify::send_email(
            vault.config.smtp.as_ref(),
            &email,
            "Invitation à recevoir vos actes par voie électronique",
            &body,
        )
        .await?;
        notify::send_sms(vault.config.sms.as_ref(), &mobile, &sms).await
    }
    .await;
    sent.map_err(|e| {
        tracing::warn!(invitation = %row.id, error = %e.0, "invitation not sent");
        refuse(Refusal::NotSent)
    })
}

fn check_request(vault: &Vault, req: &InvitationRequest) -> Result<(Vec<String>, u32)> {
    let mut natures: Vec<String> = Vec::new();
    for n in &req.natures {
        let code = n.trim().to_owned();
        if vault.natures.get(&code).is_none() {
            return Err(Error::UnknownNature(code));
        }
        if !natures.contains(&code) {
            natures.push(code);
        }
    }
    if natures.is_empty() {
        return Err(refuse(Refusal::NoNature));
    }
    let days = req.days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(refuse(Refusal::BadDays));
    }
    if req
        .consent_months
        .is_some_and(|m| !(1..=MAX_CONSENT_MONTHS).contains(&m))
    {
        return Err(refuse(Refusal::BadMonths));
    }
    Ok((natures, days))
}

/// `POST /v1/recipients/{id}/invitations`: checks, sends the e-mail and the SMS, then records
/// the invitation (nothing is recorded if either could not be sent).
pub async fn invite(
    vault: &Arc<Vault>,
    who: &Authed,
    recipient_id: &str,
    req: &InvitationRequest,
) -> Result<Invitation> {
    let (natures, days) = check_request(vault, req)?;
    let now = vault.clock.now();
    let max = i64::from(vault.config.portal.max_code_attempts);
    let (office_id, rid) = (who.office.office.id.clone(), recipient_id.to_owned());
    let recipient = vault
        .db_read(move |sql| {
            let r = meta::recipient(sql, &rid)?.ok_or(Error::UnknownRecipient)?;
            for i in meta::office_invitations(sql, &office_id, &rid)? {
                let locked = locked(sql, &i.id, max)?;
                if state(&i, locked, now) == InvitationState::Pending {
                    return Err(refuse(Refusal::AlreadyPending));
                }
            }
            Ok(r)
        })
        .await?;
    contacts(&recipient)?;
    let token = crate::portal::random_token();
    let row = InvitationRow {
        id: uuid::Uuid::new_v4().to_string(),
        office_id: who.office.office.id.clone(),
        recipient_id: recipient.id.clone(),
        natures,
        consent_months: req.consent_months,
        sent_at: now,
        expires_at: now + Duration::days(i64::from(days)),
        state: InvitationState::Pending,
        answered_at: None,
        consent_id: None,
        codes_sent_at: None,
        email_masked: None,
        mobile_masked: None,
        declaration: None,
    };
    send(vault, &who.office, &recipient, &row, &token).await?;
    let (stored, hash) = (row.clone(), token_hash(&token));
    vault
        .db(move |sql| meta::insert_invitation(sql, &stored, &hash))
        .await?;
    tracing::info!(invitation = %row.id, office = %who.office.office.number, "invitation sent");
    Ok(view(&row, false, now))
}

/// `GET /v1/recipients/{id}/invitations`: this office's invitations of the recipient.
pub async fn list(vault: &Arc<Vault>, who: &Authed, recipient_id: &str) -> Result<Vec<Invitation>> {
    let now = vault.clock.now();
    let max = i64::from(vault.config.portal.max_code_attempts);
    let (office_id, rid) = (who.office.office.id.clone(), recipient_id.to_owned());
    vault
        .db_read(move |sql| {
            meta::office_invitations(sql, &office_id, &rid)?
                .iter()
                .map(|i| Ok(view(i, locked(sql, &i.id, max)?, now)))
                .collect()
        })
        .await
}

async fn own(vault: &Arc<Vault>, who: &Authed, id: &str) -> Result<InvitationRow> {
    let (office_id, id) = (who.office.office.id.clone(), id.to_owned());
    vault
        .db_read(move |sql| meta::office_invitation(sql, &office_id, &id))
        .await?
        .ok_or(Error::NotFound)
}

/// `POST /v1/invitations/{id}/resend`: a new link (the old one stops working), a new answering
/// time, fresh codes; for an invitation not answered (pending, expired or locked).
pub async fn resend(vault: &Arc<Vault>, who: &Authed, id: &str) -> Result<Invitation> {
    let mut row = own(vault, who, id).await?;
    if row.state != InvitationState::Pending {
        return Err(refuse(Refusal::Answered(row.state)));
    }
    let now = vault.clock.now();
    let days = (row.expires_at - row.sent_at)
        .num_days()
        .clamp(1, i64::from(MAX_DAYS));
    row.sent_at = now;
    row.expires_at = now + Duration::days(days);
    let rid = row.recipient_id.clone();
    let recipient = vault
        .db_read(move |sql| meta::recipient(sql, &rid))
        .await?
        .ok_or(Error::UnknownRecipient)?;
    let token = crate::portal::random_token();
    send(vault, &who.office, &recipient, &row, &token).await?;
    let (stored, hash) = (row.clone(), token_hash(&token));
    let renewed = vault
        .db(move |sql| {
            sql.exec(
                "DELETE FROM portal_codes WHERE link_hash = $1",
                &[code_key(&stored.id).into()],
            )?;
            meta::renew_invitation(sql, &stored.id, &hash, stored.sent_at, stored.expires_at)
        })
        .await?;
    if !renewed {
        return Err(refuse(Refusal::Answered(InvitationState::Accepted)));
    }
    Ok(view(&row, false, now))
}

/// `POST /v1/invitations/{id}/withdraw`: the office withdraws an invitation not answered.
pub async fn withdraw(vault: &Arc<Vault>, who: &Authed, id: &str) -> Result<Invitation> {
    let row = own(vault, who, id).await?;
    let now = vault.clock.now();
    let id = row.id.clone();
    let done = vault
        .db(move |sql| {
            meta::answer_invitation(
                sql,
                &id,
                InvitationState::Pending,
                InvitationState::Withdrawn,
                now,
                None,
                None,
            )
        })
        .await?;
    if !done {
        return Err(refuse(Refusal::Answered(row.state)));
    }
    let mut row = row;
    row.state = InvitationState::Withdrawn;
    row.answered_at = Some(now);
    Ok(view(&row, false, now))
}

/// The masked contacts the codes go to, for pages and records.
pub fn masked_contacts(r: &RecipientRow) -> Result<(String, String)> {
    let (email, mobile) = contacts(r)?;
    Ok((mask_email(&email), mask_mobile(&mobile)))
}
