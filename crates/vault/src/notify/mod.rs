//! Notifications to recipients (step 4 of a service): an e-mail over SMTP (plain, STARTTLS or
//! TLS) with the recipient's portal link, and an SMS through the configured HTTP gateway.
//!
//! The queue is durable and needs no hook in the deposit path: [`enqueue_new`] finds accepted
//! deposits that have no notification rows yet (a scan over recent deposits, so a crash after
//! acceptance still notifies) and creates their rows as the recipient's [`Notices`] setting
//! says: one per channel (per act), one member of the recipient's open digest (digest), or an
//! evidence record at once that no notice goes (API only). [`send_due`] sends what is due,
//! retrying with exponential back-off; a permanent refusal (an SMTP 5xx, a gateway's 4xx) is
//! final at once. Each send and each final failure is an evidence record per deposit, a line of
//! the service's history and an event of the office's feed. Delivery is at least once: a crash
//! between the send and its record sends again, never zero times (a digest is claimed before it
//! is sent and stays due until recorded). Texts are French; the e-mail names the commissaire,
//! the office and the nature of the act, the SMS names the commissaire and the office only.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sceau_core::evidence::EvidenceEvent;

use crate::error::{Error, Result};
use crate::journal::{self, Entry};
use crate::store::meta::{self, DepositRow, RecipientRow};
use crate::Vault;

mod digest;
mod texts;
mod transport;

use digest::{message_id, send_digest};
pub use texts::*;
pub use transport::*;

/// The journal line of a notice's outcome for deposit `d`: recorded by the vault ("coffre"),
/// naming the recipient, with its reason and the office's history message.
fn notice_entry(
    d: &DepositRow,
    event: EvidenceEvent,
    now: DateTime<Utc>,
    reason: String,
    message: String,
) -> Entry {
    Entry {
        record: journal::record(
            event,
            now,
            "coffre",
            &d.recipient_id,
            &d.id,
            Vec::new(),
            Some(reason),
        ),
        office_id: Some(d.office_id.clone()),
        message,
    }
}

/// How far back [`enqueue_new`] looks for deposits without notifications.
pub const LOOKBACK_DAYS: i64 = 7;

/// A notification channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// E-mail.
    Email,
    /// SMS.
    Sms,
}

impl Channel {
    /// Stable code (stored).
    pub fn code(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    fn of(code: &str) -> Option<Channel> {
        match code {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Channel::Email => "mail",
            Channel::Sms => "SMS",
        }
    }
}

/// How a recipient is told of its acts, set by the operator (`sceau-vault recipients notices`
/// or the import's `notices` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Notices {
    /// An e-mail and an SMS per act (a person; every recipient until the operator says
    /// otherwise).
    #[default]
    PerAct,
    /// An e-mail per act, no SMS (a company that chose its channel).
    EmailOnly,
    /// One e-mail listing the acts of one office queued within the digest window
    /// (`notify.digest_window_minutes`), no SMS (a company or a bank).
    Digest,
    /// No notice: the recipient takes its acts through the bank API.
    ApiOnly,
}

impl Notices {
    /// Stable code (stored, typed by the operator).
    pub fn code(self) -> &'static str {
        match self {
            Notices::PerAct => "per_act",
            Notices::EmailOnly => "email_only",
            Notices::Digest => "digest",
            Notices::ApiOnly => "api_only",
        }
    }

    /// The setting of a stored or typed code.
    pub fn parse(code: &str) -> Result<Notices> {
        Notices::parse_fr(code).map_err(Error::BadRequest)
    }

    /// [`Notices::parse`], the refusal as a French sentence (for a line of an import).
    pub fn parse_fr(code: &str) -> std::result::Result<Notices, String> {
        match code.trim() {
            "per_act" => Ok(Notices::PerAct),
            "email_only" => Ok(Notices::EmailOnly),
            "digest" => Ok(Notices::Digest),
            "api_only" => Ok(Notices::ApiOnly),
            other => Err(format!(
                "avis « {other} » inconnu : per_act (un mail et un SMS par acte), email_only (un \
                 mail par acte, sans SMS), digest (un mail récapitulatif par lot, sans SMS) ou \
                 api_only (aucun avis, actes pris par l'API)"
            )),
        }
    }

    /// What it means, in French (for the operator).
    pub fn label_fr(self) -> &'static str {
        match self {
            Notices::PerAct => "un mail et un SMS par acte",
            Notices::EmailOnly => "un mail par acte, sans SMS",
            Notices::Digest => "un mail récapitulatif par lot, sans SMS",
            Notices::ApiOnly => "aucun avis, actes mis à disposition par l'API",
        }
    }

    /// The setting of recipient `id` (per act when not set).
    pub fn of_recipient(sql: &mut dyn crate::store::sql::Sql, id: &str) -> Result<Notices> {
        meta::recipient_notices(sql, id)?.map_or(Ok(Notices::PerAct), |c| Notices::parse(&c))
    }
}

impl std::str::FromStr for Notices {
    type Err = Error;
    fn from_str(s: &str) -> Result<Notices> {
        Notices::parse(s)
    }
}

fn nature_label(vault: &Vault, code: &str) -> String {
    vault
        .natures
        .get(code)
        .map_or_else(|| code.to_owned(), |n| n.label_fr.clone())
}

/// Creates notification rows for accepted deposits that have none (last [`LOOKBACK_DAYS`]
/// days), as each recipient's [`Notices`] says; returns how many deposits were queued. A
/// recipient with no way to be told (no contact; a digest without e-mail) gets a final failure
/// at once; one taking its acts by the API gets its record at once.
pub async fn enqueue_new(vault: &Arc<Vault>) -> Result<usize> {
    let now = vault.clock.now();
    let since = now - chrono::Duration::days(LOOKBACK_DAYS);
    let window = chrono::Duration::minutes(i64::from(vault.config.notify.digest_window_minutes));
    let _guard = vault.commit_lock.lock().await;
    let n = vault
        .db(move |sql| {
            // One instance at a time decides which deposits still need their notices.
            journal::serialise(sql)?;
            let pending = meta::deposits_without_notification(sql, since, 500)?;
            let mut records = Vec::new();
            for d in &pending {
                let r = meta::recipient(sql, &d.recipient_id)?;
                let email = r.as_ref().and_then(|r| r.email.clone());
                let mobile = r.as_ref().and_then(|r| r.phone_mobile.clone());
                let notices = Notices::of_recipient(sql, &d.recipient_id)?;
                let entry = |event, reason: &str, message: String| {
                    notice_entry(d, event, now, reason.to_owned(), message)
                };
                let none = |sql: &mut dyn crate::store::sql::Sql, status: &str, why: &str| {
                    meta::insert_notification(sql, &d.id, "none", now)?;
                    meta::finish_notification(sql, &d.id, "none", status, Some(why))
                };
                match notices {
                    Notices::ApiOnly => {
                        none(sql, "waived", "api_only")?;
                        records.push(entry(
                            EvidenceEvent::ConsignmentNotification,
                            "api_only",
                            format!(
                                "Pas d'alerte par mail ni par SMS, au choix du destinataire {} : \
                                 l'acte est mis à sa disposition par l'API du coffre-fort",
                                d.recipient_name
                            ),
                        ));
                    }
                    Notices::Digest if email.is_some() => {
                        let digest =
                            match meta::open_digest(sql, &d.recipient_id, &d.office_id, now)? {
                                Some(id) => id,
                                None => {
                                    let id = uuid::Uuid::new_v4().to_string();
                                    meta::insert_digest(
                                        sql,
                                        &id,
                                        &d.recipient_id,
                                        &d.office_id,
                                        now,
                                        now + window,
                                    )?;
                                    id
                                }
                            };
                        meta::insert_digest_member(sql, &d.id, &digest, now)?;
                    }
                    Notices::Digest => {
                        none(sql, "failed", "no email for a digest")?;
                        records.push(entry(
                            EvidenceEvent::ConsignmentNotificationFailure,
                            "no_email",
                            format!(
                                "Alerte impossible : le destinataire {} reçoit un mail \
                                 récapitulatif mais n'a pas d'adresse électronique",
                                d.recipient_name
                            ),
                        ));
                    }
                    Notices::PerAct | Notices::EmailOnly => {
                        // E-mail only: the recipient's mobile, if any, is not used.
                        let mobile = mobile.filter(|_| notices == Notices::PerAct);
                        if email.is_some() {
                            meta::insert_notification(sql, &d.id, Channel::Email.code(), now)?;
                        }
                        if mobile.is_some() {
                            meta::insert_notification(sql, &d.id, Channel::Sms.code(), now)?;
                        }
                        if email.is_none() && mobile.is_none() {
                            none(sql, "failed", "no contact")?;
                            records.push(entry(
                                EvidenceEvent::ConsignmentNotificationFailure,
                                "no_contact",
                                format!(
                                    "Alerte impossible : le destinataire {} n'a ni adresse \
                                     électronique ni numéro de mobile",
                                    d.recipient_name
                                ),
                            ));
                        }
                    }
                }
            }
            if !records.is_empty() {
                journal::append(sql, &records)?;
            }
            Ok((pending.len(), !records.is_empty()))
        })
        .await;
    drop(_guard);
    let (n, recorded) = n?;
    if recorded {
        vault.feed.notify_waiters();
    }
    Ok(n)
}

/// The end of a claim made at `now` (`notify.claim_lease_secs` later).
fn claim_lease_end(vault: &Vault, now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::seconds(
        i64::try_from(vault.config.notify.claim_lease_secs).unwrap_or(i64::MAX / 4),
    )
}

/// Sends every notification and digest due at the vault's time; returns (sent, failed for
/// good), a digest counting once.
pub async fn send_due(vault: &Arc<Vault>) -> Result<(usize, usize)> {
    let now = vault.clock.now();
    let lease = claim_lease_end(vault, now);
    let (due, digests) = vault
        .db(move |sql| {
            Ok((
                meta::claim_notifications(sql, now, lease, 200)?,
                meta::due_digests(sql, now, 50)?,
            ))
        })
        .await?;
    // A few sends at once: each waits mostly on the relay or the gateway.
    use futures_util::StreamExt;
    let mut outcomes: Vec<Result<Outcome>> = futures_util::stream::iter(due)
        .map(|(deposit_id, channel, attempts)| send_row(vault, now, deposit_id, channel, attempts))
        .buffer_unordered(8)
        .collect()
        .await;
    for id in digests {
        outcomes.push(send_digest(vault, now, id).await);
    }
    let (mut sent, mut failed) = (0, 0);
    for o in outcomes {
        match o? {
            Outcome::Sent => sent += 1,
            Outcome::Failed => failed += 1,
            Outcome::Retry | Outcome::Skipped => {}
        }
    }
    Ok((sent, failed))
}

enum Outcome {
    Sent,
    Failed,
    Retry,
    Skipped,
}

/// When attempt `attempts + 1` is due after a failure at `now`.
fn next_attempt(vault: &Vault, now: DateTime<Utc>, attempts: i64) -> DateTime<Utc> {
    let backoff = vault
        .config
        .notify
        .backoff_seconds
        .saturating_mul(1u64 << u32::try_from(attempts - 1).unwrap_or(0).min(16));
    now + chrono::Duration::seconds(i64::try_from(backoff).unwrap_or(i64::MAX / 2))
}

/// Whether a failure after `attempts` attempts is final.
fn is_final(vault: &Vault, f: &Failure, attempts: i64) -> bool {
    f.permanent.is_some() || attempts >= i64::from(vault.config.notify.max_attempts)
}

async fn send_row(
    vault: &Arc<Vault>,
    now: DateTime<Utc>,
    deposit_id: String,
    channel: String,
    attempts: i64,
) -> Result<Outcome> {
    let Some(ch) = Channel::of(&channel) else {
        return Ok(Outcome::Skipped);
    };
    let id = deposit_id.clone();
    let Some((d, r, server)) = vault
        .db(move |sql| {
            let Some(d) = meta::deposit_any(sql, &id)? else {
                return Ok(None);
            };
            let r = meta::recipient(sql, &d.recipient_id)?;
            let server = Server::load(sql, &d.office_id)?;
            Ok(r.map(|r| (d, r, server)))
        })
        .await?
    else {
        return Ok(Outcome::Skipped);
    };
    let outcome = send_one(vault, ch, &d, &r, &server).await;
    let attempts = attempts + 1;
    match outcome {
        Ok(()) => {
            record(vault, &d, &r, ch, None, attempts).await?;
            Ok(Outcome::Sent)
        }
        Err(f) => {
            tracing::warn!(deposit = %d.id, channel = ch.code(), attempts, "notification failed");
            if is_final(vault, &f, attempts) {
                record(vault, &d, &r, ch, Some(f), attempts).await?;
                Ok(Outcome::Failed)
            } else {
                let next = next_attempt(vault, now, attempts);
                let (id, c) = (d.id.clone(), ch.code());
                vault
                    .db(move |sql| meta::retry_notification(sql, &id, c, attempts, next, &f.why))
                    .await?;
                Ok(Outcome::Retry)
            }
        }
    }
}

async fn send_one(
    vault: &Arc<Vault>,
    ch: Channel,
    d: &DepositRow,
    r: &RecipientRow,
    server: &Server,
) -> std::result::Result<(), Failure> {
    let err = |e: Error| Failure::temporary(e.to_string());
    match ch {
        Channel::Email => {
            let to = r.email.as_deref().unwrap_or_default();
            let token = new_link(vault, &r.id).await.map_err(err)?;
            let m = act_email(
                server,
                &nature_label(vault, &d.nature),
                d.deposited_at,
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
                    message_id: Some(message_id(vault, "avis", &d.id)),
                    ..Email::default()
                },
            )
            .await
        }
        Channel::Sms => {
            let to = r.phone_mobile.as_deref().unwrap_or_default();
            let url = if r.email.is_none() {
                let token = new_link(vault, &r.id).await.map_err(err)?;
                Some(link_url(vault, &token))
            } else {
                None
            };
            deliver_sms(
                vault.config.sms.as_ref(),
                to,
                &act_sms(server, url.as_deref()),
            )
            .await
        }
    }
}

/// The history line and the record's reason of a final failure of `what` ("mail d'alerte",
/// "mail récapitulatif d'alerte", "SMS d'alerte") to `name`.
fn failure_line(what: &str, name: &str, f: &Failure, attempts: i64) -> String {
    match &f.permanent {
        Some(code) => format!(
            "Échec de l'envoi du {what} au destinataire {name} : refusé définitivement par le \
             serveur ({code}) ; vérifiez ses coordonnées"
        ),
        None => format!(
            "Échec de l'envoi du {what} au destinataire {name} après {attempts} tentative(s)"
        ),
    }
}

/// Records the outcome (sent or failed for good) with its evidence record and history line.
async fn record(
    vault: &Arc<Vault>,
    d: &DepositRow,
    r: &RecipientRow,
    ch: Channel,
    failure: Option<Failure>,
    attempts: i64,
) -> Result<()> {
    let now = vault.clock.now();
    let what = ch.word();
    let (event, message, reason, status) = match &failure {
        None => (
            EvidenceEvent::ConsignmentNotification,
            format!(
                "{} d'alerte pour dépôt transmis au destinataire {}",
                if ch == Channel::Email { "Mail" } else { what },
                r.name
            ),
            ch.code().to_owned(),
            "sent",
        ),
        Some(f) => (
            EvidenceEvent::ConsignmentNotificationFailure,
            failure_line(&format!("{what} d'alerte"), &r.name, f, attempts),
            format!(
                "{}:{}",
                ch.code(),
                if f.permanent.is_some() {
                    "rejected"
                } else {
                    "undeliverable"
                }
            ),
            "failed",
        ),
    };
    let entry = notice_entry(d, event, now, reason, message);
    let (id, c) = (d.id.clone(), ch.code());
    let why = failure.map(|f| f.why);
    let _guard = vault.commit_lock.lock().await;
    vault
        .db(move |sql| {
            meta::finish_notification(sql, &id, c, status, why.as_deref())?;
            meta::set_notification_attempts(sql, &id, c, attempts)?;
            journal::append(sql, std::slice::from_ref(&entry))?;
            Ok(())
        })
        .await?;
    drop(_guard);
    vault.feed.notify_waiters();
    Ok(())
}

/// Test seam: the window between a digest's send and its record, where a crash falls.
#[doc(hidden)]
pub mod seam {
    use std::sync::Mutex;

    /// When set, a digest accepted by the relay signals here and then never records (its
    /// task waits until aborted): what a crash at that point leaves.
    pub static HOLD_AFTER_DIGEST_SENT: Mutex<Option<tokio::sync::mpsc::UnboundedSender<()>>> =
        Mutex::new(None);

    pub(super) async fn after_digest_sent() {
        let held = HOLD_AFTER_DIGEST_SENT
            .lock()
            .ok()
            .and_then(|g| g.as_ref().map(|tx| tx.send(()).is_ok()))
            .unwrap_or(false);
        if held {
            std::future::pending::<()>().await;
        }
    }
}

/// Runs the notifier until the task is dropped: queue, send, then wait for a deposit (the
/// feed's wake-up), the next retry or digest, or `max_sleep`.
pub async fn run_notifier(vault: Arc<Vault>, max_sleep: Duration) {
    loop {
        let woken = vault.feed.notified();
        if let Err(e) = enqueue_new(&vault).await {
            tracing::error!(code = e.code(), detail = %e, "notification queue");
        }
        if let Err(e) = send_due(&vault).await {
            tracing::error!(code = e.code(), detail = %e, "notifications");
        }
        let next = vault
            .db(|sql| {
                Ok(meta::next_notification_at(sql)?
                    .into_iter()
                    .chain(meta::next_digest_at(sql)?)
                    .min())
            })
            .await
            .ok()
            .flatten();
        let wait = next
            .map(|t| (t - vault.clock.now()).to_std().unwrap_or(Duration::ZERO))
            .unwrap_or(max_sleep)
            .min(max_sleep)
            .max(Duration::from_millis(100));
        let _ = tokio::time::timeout(wait, woken).await;
    }
}
