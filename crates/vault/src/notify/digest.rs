//! A digest's send: its claim, its one e-mail and its records, one per deposit.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sceau_core::evidence::EvidenceEvent;

use crate::error::Result;
use crate::journal::{self, Entry};
use crate::store::meta::{self, DigestRow, RecipientRow};
use crate::Vault;

use super::*;

/// Sends digest `id`: claims it (no deposit joins it any more), sends its one e-mail, then
/// records one evidence record per deposit naming the message. A crash after the claim leaves
/// it claimed and due: it is sent again (at least once, never zero).
pub(super) async fn send_digest(
    vault: &Arc<Vault>,
    now: DateTime<Utc>,
    id: String,
) -> Result<Outcome> {
    let claim = {
        let id = id.clone();
        let lease = claim_lease_end(vault, now);
        let _guard = vault.commit_lock.lock().await;
        vault
            .db(move |sql| {
                let Some(g) = meta::claim_digest(sql, &id, now, lease)? else {
                    return Ok(None);
                };
                let r = meta::recipient(sql, &g.recipient_id)?;
                let server = Server::load(sql, &g.office_id)?;
                Ok(Some((g, r, server)))
            })
            .await?
    };
    let Some((g, r, server)) = claim else {
        return Ok(Outcome::Skipped);
    };
    let message_id = digest_message_id(vault, &g.id);
    let sent = match r.as_ref().and_then(|r| r.email.as_deref()) {
        None => Err(Failure::temporary("aucune adresse électronique".into())),
        Some(to) => {
            let acts: Vec<(DateTime<Utc>, String)> = g
                .deposits
                .iter()
                .map(|d| (d.deposited_at, nature_label(vault, &d.nature)))
                .collect();
            match new_link(vault, &g.recipient_id).await {
                Err(e) => Err(Failure::temporary(e.to_string())),
                Ok(token) => {
                    let m = digest_email(
                        &server,
                        &acts,
                        &link_url(vault, &token),
                        vault.config.portal.link_days,
                    );
                    deliver_mail(
                        vault.config.smtp.as_ref(),
                        &Email {
                            to,
                            from_name: Some(&server.office_name),
                            subject: &m.subject,
                            text: &m.text,
                            html: Some(&m.html),
                            message_id: Some(message_id.clone()),
                            attachment: None,
                        },
                    )
                    .await
                }
            }
        }
    };
    let attempts = g.attempts + 1;
    match sent {
        Ok(()) => {
            seam::after_digest_sent().await;
            record_digest(vault, &g, r.as_ref(), &message_id, None, attempts).await?;
            Ok(Outcome::Sent)
        }
        Err(f) => {
            tracing::warn!(digest = %g.id, attempts, "digest failed");
            if is_final(vault, &f, attempts) {
                record_digest(vault, &g, r.as_ref(), &message_id, Some(f), attempts).await?;
                Ok(Outcome::Failed)
            } else {
                let next = next_attempt(vault, now, attempts);
                let id = g.id.clone();
                vault
                    .db(move |sql| meta::retry_digest(sql, &id, attempts, next, &f.why))
                    .await?;
                Ok(Outcome::Retry)
            }
        }
    }
}

/// The Message-ID of digest `id`, on the relay's domain: what each deposit's record names.
pub(super) fn digest_message_id(vault: &Vault, id: &str) -> String {
    message_id(vault, "recapitulatif", id)
}

/// A Message-ID fixed by what the message is (`kind` and an id) on the relay's domain: a send
/// made again after a crash between the send and its record is the same message, which the
/// recipient's mail system shows once.
pub(super) fn message_id(vault: &Vault, kind: &str, id: &str) -> String {
    let domain = vault
        .config
        .smtp
        .as_ref()
        .and_then(|s| s.from.parse::<lettre::message::Mailbox>().ok())
        .map_or_else(|| "sceau".to_owned(), |m| m.email.domain().to_owned());
    format!("<{kind}-{id}@{domain}>")
}

/// Records a digest's outcome: one evidence record per deposit (the same message named in
/// each), in one transaction with the digest's and the deposits' status.
pub(super) async fn record_digest(
    vault: &Arc<Vault>,
    g: &DigestRow,
    r: Option<&RecipientRow>,
    message_id: &str,
    failure: Option<Failure>,
    attempts: i64,
) -> Result<()> {
    let now = vault.clock.now();
    let n = g.deposits.len();
    let entries: Vec<Entry> = g
        .deposits
        .iter()
        .map(|d| {
            let name = r.map_or(d.recipient_name.as_str(), |r| r.name.as_str());
            let (event, message, reason) = match &failure {
                None => (
                    EvidenceEvent::ConsignmentNotification,
                    format!(
                        "Mail récapitulatif d'alerte ({n} acte(s)) transmis au destinataire \
                         {name}, message {message_id}"
                    ),
                    format!("email:digest:{message_id}"),
                ),
                Some(f) => (
                    EvidenceEvent::ConsignmentNotificationFailure,
                    failure_line("mail récapitulatif d'alerte", name, f, attempts),
                    format!(
                        "email:digest:{}",
                        if f.permanent.is_some() {
                            "rejected"
                        } else {
                            "undeliverable"
                        }
                    ),
                ),
            };
            notice_entry(d, event, now, reason, message)
        })
        .collect();
    let status = if failure.is_some() { "failed" } else { "sent" };
    let why = failure.map(|f| f.why);
    let id = g.id.clone();
    let _guard = vault.commit_lock.lock().await;
    vault
        .db(move |sql| {
            meta::finish_digest(sql, &id, status, attempts, why.as_deref())?;
            journal::append(sql, &entries)?;
            Ok(())
        })
        .await?;
    drop(_guard);
    vault.feed.notify_waiters();
    Ok(())
}
