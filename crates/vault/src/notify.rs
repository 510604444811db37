//! Notifications to recipients (step 4 of a service): an e-mail over SMTP (plain, STARTTLS or
//! TLS) with the recipient's portal link, and an SMS through the configured HTTP gateway.
//!
//! The queue is durable and needs no hook in the deposit path: [`enqueue_new`] finds accepted
//! deposits that have no notification rows yet (a scan over recent deposits, so a crash after
//! acceptance still notifies) and creates one row per channel; [`send_due`] sends what is due,
//! retrying with exponential back-off. Each send and each final failure is an evidence record
//! and a line of the service's history. Delivery is at least once: a crash between the send
//! and its record sends again, never zero times. Texts are French and carry no act content.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use rand_core::{OsRng, RngCore};
use sceau_core::evidence::EvidenceEvent;
use sceau_core::naming::format_paris;
use sha2::{Digest, Sha256};

use crate::config::{SmsConfig, SmtpConfig, SmtpSecurity};
use crate::error::{Error, Result};
use crate::journal::{self, Entry};
use crate::store::meta::{self, DepositRow, RecipientRow};
use crate::Vault;

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
}

/// Why a send failed (kept for the record, never shown to recipients).
#[derive(Debug, Clone)]
pub struct SendError(pub String);

/// Sends one e-mail with the configured relay.
pub async fn send_email(
    smtp: Option<&SmtpConfig>,
    to: &str,
    subject: &str,
    body: &str,
) -> std::result::Result<(), SendError> {
    send_email_with(smtp, to, subject, body, None).await
}

/// A file attached to an e-mail: its name and its bytes (a PDF).
pub type Attachment<'a> = (&'a str, &'a [u8]);

/// Sends one e-mail with the configured relay, with a PDF attached if given.
pub async fn send_email_with(
    smtp: Option<&SmtpConfig>,
    to: &str,
    subject: &str,
    body: &str,
    attachment: Option<Attachment<'_>>,
) -> std::result::Result<(), SendError> {
    use lettre::message::header::ContentType;
    use lettre::message::{MultiPart, SinglePart};
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    let e = |m: String| SendError(m);
    let smtp = smtp.ok_or_else(|| e("aucun relais SMTP configuré".into()))?;
    let message = Message::builder()
        .from(
            smtp.from
                .parse()
                .map_err(|x| e(format!("expéditeur : {x}")))?,
        )
        .to(to.parse().map_err(|x| e(format!("adresse : {x}")))?)
        .subject(subject);
    let message = match attachment {
        None => message
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned()),
        Some((name, bytes)) => message.multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(body.to_owned()))
                .singlepart(lettre::message::Attachment::new(name.to_owned()).body(
                    bytes.to_vec(),
                    ContentType::parse("application/pdf").map_err(|x| e(x.to_string()))?,
                )),
        ),
    }
    .map_err(|x| e(x.to_string()))?;
    let tls = || -> std::result::Result<TlsParameters, SendError> {
        let mut b = TlsParameters::builder(smtp.host.clone());
        if let Some(ca) = &smtp.ca_file {
            let pem = std::fs::read(ca).map_err(|x| e(format!("{}: {x}", ca.display())))?;
            b = b.add_root_certificate(Certificate::from_pem(&pem).map_err(|x| e(x.to_string()))?);
        }
        b.build_rustls().map_err(|x| e(x.to_string()))
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(30)));
    builder = match smtp.security {
        SmtpSecurity::Plain => builder.tls(Tls::None),
        SmtpSecurity::Starttls => builder.tls(Tls::Required(tls()?)),
        SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls()?)),
    };
    if let (Some(u), Some(p)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
    }
    builder
        .build()
        .send(message)
        .await
        .map(|_| ())
        .map_err(|x| e(x.to_string()))
}

fn json_escape(s: &str) -> String {
    let q = serde_json::to_string(s).unwrap_or_default();
    q.trim_matches('"').to_owned()
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sends one SMS through the configured gateway.
pub async fn send_sms(
    sms: Option<&SmsConfig>,
    to: &str,
    text: &str,
) -> std::result::Result<(), SendError> {
    let e = |m: String| SendError(m);
    let sms = sms.ok_or_else(|| e("aucune passerelle SMS configurée".into()))?;
    let json = sms.content_type.contains("json");
    let fill = |t: &str, enc: &dyn Fn(&str) -> String| {
        t.replace("{to}", &enc(to)).replace("{text}", &enc(text))
    };
    let url = fill(&sms.url, &url_encode);
    let body = if json {
        fill(&sms.body_template, &json_escape)
    } else {
        fill(&sms.body_template, &url_encode)
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(c);
    }
    if let Some(ca) = &sms.ca_file {
        let ders = crate::keys::load_cert_ders(ca).map_err(|x| e(x.to_string()))?;
        for d in ders {
            let _ = roots.add(rustls::pki_types::CertificateDer::from(d));
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|x| e(x.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|x| e(x.to_string()))?;
    let method = reqwest::Method::from_bytes(sms.method.to_ascii_uppercase().as_bytes())
        .map_err(|x| e(x.to_string()))?;
    let mut req = client
        .request(method, &url)
        .header(reqwest::header::CONTENT_TYPE, &sms.content_type)
        .body(body);
    req = match (&sms.username, &sms.password) {
        (Some(u), p) => req.basic_auth(u, p.as_ref()),
        (None, Some(token)) => req.bearer_auth(token),
        (None, None) => req,
    };
    let resp = req.send().await.map_err(|x| e(x.to_string()))?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(e(format!("passerelle SMS : HTTP {}", resp.status())))
    }
}

/// A new portal link for `recipient_id`: the token (for the URL) is returned, its SHA-256 is
/// stored with its expiry.
pub async fn new_link(vault: &Arc<Vault>, recipient_id: &str) -> Result<String> {
    let mut raw = [0u8; 32];
    OsRng.fill_bytes(&mut raw);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let now = vault.clock.now();
    let expires = now + chrono::Duration::days(i64::from(vault.config.portal.link_days));
    let (hash, rid) = (token_hash(&token), recipient_id.to_owned());
    vault
        .db(move |sql| meta::insert_link(sql, &hash, &rid, now, expires))
        .await?;
    Ok(token)
}

/// The stored form of a secret token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The portal URL of a link token.
pub fn link_url(vault: &Vault, token: &str) -> String {
    format!(
        "{}/portail/acces/{token}",
        vault.config.portal.public_url.trim_end_matches('/')
    )
}

/// The e-mail telling a recipient that an act awaits (no act content).
pub fn email_text(office: &str, at: DateTime<Utc>, url: &str, days: u32) -> (String, String) {
    (
        "Un acte vous a été signifié par voie électronique".into(),
        format!(
            "Bonjour,\n\n\
             {office} a déposé le {} un acte à votre attention dans votre coffre-fort \
             électronique.\n\n\
             Pour le consulter, ouvrez ce lien personnel (valable {days} jours) :\n{url}\n\n\
             Un code à usage unique vous sera envoyé par SMS pour confirmer votre identité (par \
             courriel si nous n'avons pas votre numéro de mobile : votre numéro SIREN ou de \
             sécurité sociale vous sera alors aussi demandé).\n\n\
             Ne transférez pas ce message. Si vous n'êtes pas le destinataire, ignorez-le.\n\n\
             Coffre-fort Sceau\n",
            format_paris(at)
        ),
    )
}

/// The SMS telling a recipient that an act awaits (no act content); the link only when the
/// recipient has no e-mail address.
pub fn sms_text(office: &str, url: Option<&str>) -> String {
    match url {
        Some(u) => format!(
            "Sceau : {office} a déposé un acte à votre attention dans votre coffre-fort \
             électronique. Consultez-le ici : {u}"
        ),
        None => format!(
            "Sceau : {office} a déposé un acte à votre attention dans votre coffre-fort \
             électronique. Le lien de consultation vous a été envoyé par courriel."
        ),
    }
}

/// Creates notification rows for accepted deposits that have none (last [`LOOKBACK_DAYS`]
/// days); returns how many deposits were queued. A recipient with neither e-mail nor mobile
/// gets a final failure at once.
pub async fn enqueue_new(vault: &Arc<Vault>) -> Result<usize> {
    let now = vault.clock.now();
    let since = now - chrono::Duration::days(LOOKBACK_DAYS);
    let _guard = vault.commit_lock.lock().await;
    let n = vault
        .db(move |sql| {
            let pending = meta::deposits_without_notification(sql, since, 500)?;
            let mut failures = Vec::new();
            for d in &pending {
                let r = meta::recipient(sql, &d.recipient_id)?;
                let email = r.as_ref().and_then(|r| r.email.clone());
                let mobile = r.as_ref().and_then(|r| r.phone_mobile.clone());
                if email.is_some() {
                    meta::insert_notification(sql, &d.id, Channel::Email.code(), now)?;
                }
                if mobile.is_some() {
                    meta::insert_notification(sql, &d.id, Channel::Sms.code(), now)?;
                }
                if email.is_none() && mobile.is_none() {
                    meta::insert_notification(sql, &d.id, "none", now)?;
                    meta::finish_notification(sql, &d.id, "none", "failed", Some("no contact"))?;
                    failures.push(Entry {
                        record: journal::record(
                            EvidenceEvent::ConsignmentNotificationFailure,
                            now,
                            "coffre",
                            &d.recipient_id,
                            &d.id,
                            Vec::new(),
                            Some("no_contact".into()),
                        ),
                        office_id: Some(d.office_id.clone()),
                        message: format!(
                            "Alerte impossible : le destinataire {} n'a ni adresse \
                             électronique ni numéro de mobile",
                            d.recipient_name
                        ),
                    });
                }
            }
            if !failures.is_empty() {
                journal::append(sql, &failures)?;
            }
            Ok(pending.len())
        })
        .await?;
    drop(_guard);
    Ok(n)
}

/// Sends every notification due at the vault's time; returns (sent, failed for good).
pub async fn send_due(vault: &Arc<Vault>) -> Result<(usize, usize)> {
    let now = vault.clock.now();
    let due = vault
        .db(move |sql| meta::due_notifications(sql, now, 200))
        .await?;
    // A few sends at once: each waits mostly on the relay or the gateway.
    use futures_util::StreamExt;
    let outcomes: Vec<Result<Outcome>> = futures_util::stream::iter(due)
        .map(|(deposit_id, channel, attempts)| send_row(vault, now, deposit_id, channel, attempts))
        .buffer_unordered(8)
        .collect()
        .await;
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

async fn send_row(
    vault: &Arc<Vault>,
    now: DateTime<Utc>,
    deposit_id: String,
    channel: String,
    attempts: i64,
) -> Result<Outcome> {
    {
        let Some(ch) = Channel::of(&channel) else {
            return Ok(Outcome::Skipped);
        };
        let id = deposit_id.clone();
        let Some((d, r, office)) = vault
            .db(move |sql| {
                let Some(d) = meta::deposit_any(sql, &id)? else {
                    return Ok(None);
                };
                let r = meta::recipient(sql, &d.recipient_id)?;
                let o = meta::office_label(sql, &d.office_id)?;
                Ok(r.map(|r| (d, r, o)))
            })
            .await?
        else {
            return Ok(Outcome::Skipped);
        };
        let outcome = send_one(vault, ch, &d, &r, &office).await;
        let attempts = attempts + 1;
        match outcome {
            Ok(()) => {
                record(vault, &d, &r, ch, None, attempts).await?;
                Ok(Outcome::Sent)
            }
            Err(SendError(why)) => {
                tracing::warn!(deposit = %d.id, channel = ch.code(), attempts, "notification failed");
                if attempts >= i64::from(vault.config.notify.max_attempts) {
                    record(vault, &d, &r, ch, Some(why), attempts).await?;
                    Ok(Outcome::Failed)
                } else {
                    let backoff =
                        vault.config.notify.backoff_seconds.saturating_mul(
                            1u64 << u32::try_from(attempts - 1).unwrap_or(0).min(16),
                        );
                    let next = now
                        + chrono::Duration::seconds(i64::try_from(backoff).unwrap_or(i64::MAX / 2));
                    let (id, c) = (d.id.clone(), ch.code());
                    vault
                        .db(move |sql| meta::retry_notification(sql, &id, c, attempts, next, &why))
                        .await?;
                    Ok(Outcome::Retry)
                }
            }
        }
    }
}

async fn send_one(
    vault: &Arc<Vault>,
    ch: Channel,
    d: &DepositRow,
    r: &RecipientRow,
    office: &str,
) -> std::result::Result<(), SendError> {
    let err = |e: Error| SendError(e.to_string());
    match ch {
        Channel::Email => {
            let to = r.email.as_deref().unwrap_or_default();
            let token = new_link(vault, &r.id).await.map_err(err)?;
            let (subject, body) = email_text(
                office,
                d.deposited_at,
                &link_url(vault, &token),
                vault.config.portal.link_days,
            );
            send_email(vault.config.smtp.as_ref(), to, &subject, &body).await
        }
        Channel::Sms => {
            let to = r.phone_mobile.as_deref().unwrap_or_default();
            let url = if r.email.is_none() {
                let token = new_link(vault, &r.id).await.map_err(err)?;
                Some(link_url(vault, &token))
            } else {
                None
            };
            send_sms(
                vault.config.sms.as_ref(),
                to,
                &sms_text(office, url.as_deref()),
            )
            .await
        }
    }
}

/// Records the outcome (sent or failed for good) with its evidence record and history line.
async fn record(
    vault: &Arc<Vault>,
    d: &DepositRow,
    r: &RecipientRow,
    ch: Channel,
    failure: Option<String>,
    attempts: i64,
) -> Result<()> {
    let now = vault.clock.now();
    let what = match ch {
        Channel::Email => "Mail",
        Channel::Sms => "SMS",
    };
    let (event, message, reason, status) = match &failure {
        None => (
            EvidenceEvent::ConsignmentNotification,
            format!(
                "{what} d'alerte pour dépôt transmis au destinataire {}",
                r.name
            ),
            Some(ch.code().to_owned()),
            "sent",
        ),
        Some(_) => (
            EvidenceEvent::ConsignmentNotificationFailure,
            format!(
                "Échec de l'envoi du {} d'alerte au destinataire {} après {attempts} tentative(s)",
                what.to_lowercase(),
                r.name
            ),
            Some(format!("{}:undeliverable", ch.code())),
            "failed",
        ),
    };
    let entry = Entry {
        record: journal::record(
            event,
            now,
            "coffre",
            &d.recipient_id,
            &d.id,
            Vec::new(),
            reason,
        ),
        office_id: Some(d.office_id.clone()),
        message,
    };
    let (id, c) = (d.id.clone(), ch.code());
    let _guard = vault.commit_lock.lock().await;
    vault
        .db(move |sql| {
            meta::finish_notification(sql, &id, c, status, failure.as_deref())?;
            meta::set_notification_attempts(sql, &id, c, attempts)?;
            journal::append(sql, std::slice::from_ref(&entry))?;
            Ok(())
        })
        .await?;
    drop(_guard);
    vault.feed.notify_waiters();
    Ok(())
}

/// Runs the notifier until the task is dropped: queue, send, then wait for a deposit (the
/// feed's wake-up), the next retry, or `max_sleep`.
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
            .db(|sql| meta::next_notification_at(sql))
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
