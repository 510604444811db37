//! Sending: an e-mail over SMTP (plain, STARTTLS or TLS, multipart, the office's name as
//! display name) and an SMS through the configured HTTP gateway, each failure telling whether
//! trying again is useless.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{SmsConfig, SmtpConfig, SmtpSecurity};

/// Why a send failed (kept for the record, never shown to recipients).
#[derive(Debug, Clone)]
pub struct SendError(pub String);

/// A failed send, and whether trying again is useless (the relay or the gateway refused for
/// good: an SMTP 5xx, an HTTP 4xx other than 408 and 429).
pub(super) struct Failure {
    pub(super) why: String,
    /// The refusal's code (`550`, `HTTP 400`) when it is permanent.
    pub(super) permanent: Option<String>,
}

impl Failure {
    pub(super) fn temporary(why: String) -> Failure {
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

pub(super) async fn deliver_mail(
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

pub(super) fn json_escape(s: &str) -> String {
    let q = serde_json::to_string(s).unwrap_or_default();
    q.trim_matches('"').to_owned()
}

pub(super) fn url_encode(s: &str) -> String {
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

pub(super) async fn deliver_sms(
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
