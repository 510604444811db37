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

use base64::Engine;
use chrono::{DateTime, Utc};
use rand_core::{OsRng, RngCore};
use sceau_core::evidence::EvidenceEvent;
use sceau_core::naming::format_paris;
use sha2::{Digest, Sha256};

use crate::config::{SmsConfig, SmtpConfig, SmtpSecurity};
use crate::error::{Error, Result};
use crate::journal::{self, Entry};
use crate::store::meta::{self, DepositRow, DigestRow, OfficeContact, OfficeRow, RecipientRow};
use crate::Vault;

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

/// Why a send failed (kept for the record, never shown to recipients).
#[derive(Debug, Clone)]
pub struct SendError(pub String);

/// A failed send, and whether trying again is useless (the relay or the gateway refused for
/// good: an SMTP 5xx, an HTTP 4xx other than 408 and 429).
struct Failure {
    why: String,
    /// The refusal's code (`550`, `HTTP 400`) when it is permanent.
    permanent: Option<String>,
}

impl Failure {
    fn temporary(why: String) -> Failure {
        Failure {
            why,
            permanent: None,
        }
    }
}

/// A file attached to an e-mail: its name and its bytes (a PDF).
pub type Attachment<'a> = (&'a str, &'a [u8]);

/// An e-mail to send.
#[derive(Debug, Clone, Default)]
pub struct Email<'a> {
    /// The recipient's address.
    pub to: &'a str,
    /// The display name before the relay's address (the office's name); none: the relay's
    /// own (`smtp.from`).
    pub from_name: Option<&'a str>,
    /// Subject.
    pub subject: &'a str,
    /// The text (`text/plain`).
    pub text: &'a str,
    /// The same in simple HTML, sent as the alternative of the text.
    pub html: Option<&'a str>,
    /// The Message-ID (`<…@…>`); none: one made up by the mailer.
    pub message_id: Option<String>,
    /// A PDF attached.
    pub attachment: Option<Attachment<'a>>,
}

/// Sends one e-mail with the configured relay.
pub async fn send_email(
    smtp: Option<&SmtpConfig>,
    to: &str,
    subject: &str,
    body: &str,
) -> std::result::Result<(), SendError> {
    send_email_with(smtp, to, subject, body, None).await
}

/// Sends one e-mail with the configured relay, with a PDF attached if given.
pub async fn send_email_with(
    smtp: Option<&SmtpConfig>,
    to: &str,
    subject: &str,
    body: &str,
    attachment: Option<Attachment<'_>>,
) -> std::result::Result<(), SendError> {
    send_mail(
        smtp,
        &Email {
            to,
            subject,
            text: body,
            attachment,
            ..Email::default()
        },
    )
    .await
}

/// Sends `mail` with the configured relay.
pub async fn send_mail(
    smtp: Option<&SmtpConfig>,
    mail: &Email<'_>,
) -> std::result::Result<(), SendError> {
    deliver_mail(smtp, mail).await.map_err(|f| SendError(f.why))
}

async fn deliver_mail(
    smtp: Option<&SmtpConfig>,
    mail: &Email<'_>,
) -> std::result::Result<(), Failure> {
    use lettre::message::header::ContentType;
    use lettre::message::{Mailbox, MultiPart, SinglePart};
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    let e = Failure::temporary;
    let smtp = smtp.ok_or_else(|| e("aucun relais SMTP configuré".into()))?;
    let relay: Mailbox = smtp
        .from
        .parse()
        .map_err(|x| e(format!("expéditeur : {x}")))?;
    let from = match mail.from_name {
        Some(name) => Mailbox::new(Some(name.to_owned()), relay.email),
        None => relay,
    };
    let message = Message::builder()
        .from(from)
        .to(mail.to.parse().map_err(|x| e(format!("adresse : {x}")))?)
        .subject(mail.subject);
    let message = match &mail.message_id {
        Some(id) => message.message_id(Some(id.clone())),
        None => message,
    };
    let text = || SinglePart::plain(mail.text.to_owned());
    let body = mail.html.map(|html| {
        MultiPart::alternative()
            .singlepart(text())
            .singlepart(SinglePart::html(html.to_owned()))
    });
    let message = match (body, mail.attachment) {
        (None, None) => message
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.to_owned()),
        (body, Some((name, bytes))) => {
            let pdf = lettre::message::Attachment::new(name.to_owned()).body(
                bytes.to_vec(),
                ContentType::parse("application/pdf").map_err(|x| e(x.to_string()))?,
            );
            let mixed = match body {
                Some(alt) => MultiPart::mixed().multipart(alt),
                None => MultiPart::mixed().singlepart(text()),
            };
            message.multipart(mixed.singlepart(pdf))
        }
        (Some(alt), None) => message.multipart(alt),
    }
    .map_err(|x| e(x.to_string()))?;
    let tls = || -> std::result::Result<TlsParameters, Failure> {
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
        .map_err(|x| Failure {
            why: x.to_string(),
            permanent: x
                .is_permanent()
                .then(|| x.status().map_or_else(|| "5xx".into(), |c| c.to_string())),
        })
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
    deliver_sms(sms, to, text)
        .await
        .map_err(|f| SendError(f.why))
}

async fn deliver_sms(
    sms: Option<&SmsConfig>,
    to: &str,
    text: &str,
) -> std::result::Result<(), Failure> {
    let e = Failure::temporary;
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
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let refused = status.is_client_error()
        && status != reqwest::StatusCode::REQUEST_TIMEOUT
        && status != reqwest::StatusCode::TOO_MANY_REQUESTS;
    Err(Failure {
        why: format!("passerelle SMS : HTTP {status}"),
        permanent: refused.then(|| format!("HTTP {}", status.as_u16())),
    })
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

/// The host a link leads to, as the recipient should see it in the browser's address bar.
fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            })
        })
        .unwrap_or_else(|| url.to_owned())
}

/// Who serves the acts, as the notices name it.
#[derive(Debug, Clone)]
pub struct Server {
    /// "Maître Jeanne DUPONT, commissaire de justice, étude 9991".
    pub named: String,
    /// "Maître Jeanne DUPONT" (a subject line).
    pub short: String,
    /// The office's name, the e-mail's display name ("Etude Dupont").
    pub office_name: String,
    /// The office's phone and address, when the operator declared them.
    pub contact: OfficeContact,
}

impl Server {
    /// The office `o` (none: an office the vault no longer knows) with its `contact`.
    pub fn of(o: Option<&OfficeRow>, contact: OfficeContact) -> Server {
        match o {
            Some(o) => Server {
                short: crate::invitation::office_short_name(o),
                named: format!(
                    "{}, commissaire de justice, étude {}",
                    crate::invitation::office_short_name(o),
                    o.office.number
                ),
                office_name: o.office.name.clone(),
                contact,
            },
            None => Server {
                short: "Un commissaire de justice".into(),
                named: "Une étude de commissaire de justice".into(),
                office_name: "Coffre-fort Sceau".into(),
                contact,
            },
        }
    }

    fn load(sql: &mut dyn crate::store::sql::Sql, office_id: &str) -> Result<Server> {
        let o = meta::office_by_id(sql, office_id)?;
        let contact = meta::office_contact(sql, office_id)?;
        Ok(Server::of(o.as_ref(), contact))
    }
}

/// One paragraph of a notice, written once for its text and its HTML.
#[derive(Debug, Clone)]
enum Para {
    /// Lines of text (a line break between them).
    Lines(Vec<String>),
    /// A sentence followed by a link whose text is the address itself.
    Link(String, String),
    /// A list.
    List(Vec<String>),
}

/// A notice e-mail: its subject, text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailText {
    /// Subject.
    pub subject: String,
    /// `text/plain`.
    pub text: String,
    /// `text/html`: the same paragraphs, the link's text being its address.
    pub html: String,
}

fn render(subject: String, paras: &[Para]) -> MailText {
    let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
    let text = paras
        .iter()
        .map(|p| match p {
            Para::Lines(l) => l.join("\n"),
            Para::Link(s, u) => format!("{s}\n{u}"),
            Para::List(items) => items
                .iter()
                .map(|i| format!("- {i}"))
                .collect::<Vec<_>>()
                .join("\n"),
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    let body = paras
        .iter()
        .map(|p| match p {
            Para::Lines(l) => format!(
                "<p>{}</p>",
                l.iter().map(|x| esc(x)).collect::<Vec<_>>().join("<br>\n")
            ),
            Para::Link(s, u) => {
                format!("<p>{}<br>\n<a href=\"{u}\">{u}</a></p>", esc(s), u = esc(u))
            }
            Para::List(items) => format!(
                "<ul>\n{}\n</ul>",
                items
                    .iter()
                    .map(|i| format!("<li>{}</li>", esc(i)))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        })
        .collect::<Vec<_>>()
        .join("\n");
    MailText {
        html: format!(
            "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{}</title>\
             </head>\n<body>\n{body}\n</body></html>\n",
            esc(&subject)
        ),
        subject,
        text: format!("{text}\n"),
    }
}

/// The paragraphs every notice e-mail ends with: where the link leads, how the code comes,
/// the advice against phishing, how to reach the office.
fn closing(url: &str, server: &Server) -> Vec<Para> {
    let mut call = vec![
        "Prudence : ne suivez pas les liens des messages d'expéditeurs que vous ne connaissez \
         pas. Ce message ne vous demande ni paiement, ni mot de passe, ni coordonnées \
         bancaires. En cas de doute, appelez l'étude à un numéro que vous trouvez vous-même \
         (annuaire des commissaires de justice, courrier de l'étude), pas à un numéro donné \
         par un message."
            .to_owned(),
    ];
    if let Some(phone) = &server.contact.phone {
        call.push(format!(
            "Numéro de l'étude connu du coffre-fort, à comparer avec l'annuaire : {phone}"
        ));
    }
    if let Some(address) = &server.contact.address {
        call.push(format!("Adresse de l'étude : {address}"));
    }
    vec![
        Para::Lines(vec![format!(
            "Ce lien mène au site {} : vérifiez que votre navigateur affiche bien cette adresse \
             avant d'y saisir un code.",
            host_of(url)
        )]),
        Para::Lines(vec![
            "Un code à usage unique vous sera envoyé par SMS pour confirmer votre identité (par \
             courriel si nous n'avons pas votre numéro de mobile : votre numéro SIREN ou de \
             sécurité sociale vous sera alors aussi demandé)."
                .to_owned(),
        ]),
        Para::Lines(call),
        Para::Lines(vec![
            "Ne transférez pas ce message. Si vous n'êtes pas le destinataire, ignorez-le."
                .to_owned(),
        ]),
        Para::Lines(vec!["Coffre-fort Sceau".to_owned()]),
    ]
}

/// The e-mail telling a recipient that one act awaits: who serves it, when, its nature, the
/// link (valid `days` days).
pub fn act_email(
    server: &Server,
    nature: &str,
    at: DateTime<Utc>,
    url: &str,
    days: u32,
) -> MailText {
    let mut paras = vec![
        Para::Lines(vec!["Bonjour,".to_owned()]),
        Para::Lines(vec![format!(
            "{}, a déposé le {} (heure de Paris) un acte à votre attention dans votre \
             coffre-fort électronique.",
            server.named,
            format_paris(at)
        )]),
        Para::Lines(vec![format!("Nature de l'acte : {nature}")]),
        Para::Link(
            format!("Pour le consulter, ouvrez ce lien personnel (valable {days} jours) :"),
            url.to_owned(),
        ),
    ];
    paras.extend(closing(url, server));
    render(
        format!(
            "{} : un acte vous a été signifié par voie électronique",
            server.short
        ),
        &paras,
    )
}

/// The e-mail listing the acts (time of deposit, nature) one office deposited for a recipient
/// taking a digest.
pub fn digest_email(
    server: &Server,
    acts: &[(DateTime<Utc>, String)],
    url: &str,
    days: u32,
) -> MailText {
    let count = match acts.len() {
        1 => "un acte".to_owned(),
        n => format!("{n} actes"),
    };
    let mut paras = vec![
        Para::Lines(vec!["Bonjour,".to_owned()]),
        Para::Lines(vec![format!(
            "{}, a déposé {count} à votre attention dans votre coffre-fort électronique \
             (heures de Paris) :",
            server.named
        )]),
        Para::List(
            acts.iter()
                .map(|(at, nature)| format!("{} : {nature}", format_paris(*at)))
                .collect(),
        ),
        Para::Lines(vec![
            "Chaque acte vous est signifié à l'heure de son dépôt indiquée ci-dessus.".to_owned(),
        ]),
        Para::Link(
            format!(
                "Pour les consulter, ouvrez ce lien personnel (valable {days} jours), ou \
                 prenez-les par l'API du coffre-fort :"
            ),
            url.to_owned(),
        ),
    ];
    paras.extend(closing(url, server));
    let subject = match acts.len() {
        1 => format!("{} : un acte déposé à votre attention", server.short),
        n => format!("{} : {n} actes déposés à votre attention", server.short),
    };
    render(subject, &paras)
}

/// The SMS telling a recipient that an act awaits: the commissaire and the office, nothing of
/// the act (not even its nature: an SMS shows on a locked phone); the link only when the
/// recipient has no e-mail address.
pub fn act_sms(server: &Server, url: Option<&str>) -> String {
    let then = match url {
        Some(u) => format!("Consultez-le sur {} : {u}", host_of(u)),
        None => "Le lien de consultation vous a été envoyé par courriel.".to_owned(),
    };
    format!(
        "Sceau : {}, a déposé un acte à votre attention dans votre coffre-fort électronique. \
         {then}",
        server.named
    )
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

/// Sends digest `id`: claims it (no deposit joins it any more), sends its one e-mail, then
/// records one evidence record per deposit naming the message. A crash after the claim leaves
/// it claimed and due: it is sent again (at least once, never zero).
async fn send_digest(vault: &Arc<Vault>, now: DateTime<Utc>, id: String) -> Result<Outcome> {
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
fn digest_message_id(vault: &Vault, id: &str) -> String {
    message_id(vault, "recapitulatif", id)
}

/// A Message-ID fixed by what the message is (`kind` and an id) on the relay's domain: a send
/// made again after a crash between the send and its record is the same message, which the
/// recipient's mail system shows once.
fn message_id(vault: &Vault, kind: &str, id: &str) -> String {
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
async fn record_digest(
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
