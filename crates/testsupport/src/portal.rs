//! A recipient answering an office's invitation to electronic service on the vault's portal, as
//! a browser without JavaScript would: the link read from the e-mail the vault sent (the real
//! SMTP sink), the page opened, the two codes asked for and read from the SMTP and SMS sinks,
//! the answer posted with the form's CSRF token. For the end-to-end tests and the demo; the
//! vault's own tests drive the same pages step by step with these pieces.

use anyhow::{anyhow, bail, Context, Result};

use crate::sinks::{SmsSink, SmtpSink};

/// A client of the portal as a browser: the server's certificate checked against the vault's
/// CA (`vault_ca`, PEM), no client certificate, redirects not followed.
pub fn client(vault_ca: &std::path::Path) -> Result<reqwest::Client> {
    let pem = std::fs::read_to_string(vault_ca)
        .with_context(|| format!("reading {}", vault_ca.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for block in pem.split("-----BEGIN CERTIFICATE-----").skip(1) {
        let body = block
            .split("-----END CERTIFICATE-----")
            .next()
            .unwrap_or_default();
        let full = format!("-----BEGIN CERTIFICATE-----{body}-----END CERTIFICATE-----\n");
        let (_, der) = der::pem::decode_vec(full.as_bytes()).map_err(|e| anyhow!("{e}"))?;
        roots.add(rustls::pki_types::CertificateDer::from(der))?;
    }
    let cfg = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(cfg)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()?)
}

/// The token of the last invitation link e-mailed to `email`.
pub fn invitation_link(smtp: &SmtpSink, email: &str) -> Result<String> {
    let mail = smtp
        .messages()?
        .into_iter()
        .rev()
        .find(|m| m.to.contains(email) && m.subject.starts_with("Invitation"))
        .ok_or_else(|| anyhow!("no invitation e-mailed to {email}"))?;
    let key = "/portail/consentement/";
    let i = mail.body.find(key).context("no link in the invitation")? + key.len();
    Ok(mail.body[i..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned())
}

/// The last code e-mailed to `email` and the last one texted to `mobile` (E.164).
pub fn invitation_codes(
    smtp: &SmtpSink,
    sms: &SmsSink,
    email: &str,
    mobile: &str,
) -> Result<(String, String)> {
    fn after_est(text: &str) -> Result<String> {
        let i = text.find("est ").context("no code in the message")? + 4;
        text.get(i..i + 6)
            .map(str::to_owned)
            .context("code cut short")
    }
    let mail = smtp
        .messages()?
        .into_iter()
        .rev()
        .find(|m| m.to.contains(email) && m.subject.starts_with("Votre code"))
        .ok_or_else(|| anyhow!("no code e-mailed to {email}"))?;
    let text = sms
        .received()
        .into_iter()
        .rev()
        .find(|s| s.body.contains(mobile) && s.body.contains("code de vérification"))
        .ok_or_else(|| anyhow!("no code texted to {mobile}"))?;
    Ok((after_est(&mail.body)?, after_est(&text.body)?))
}

/// The value of the hidden field `name` in a page's form.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let i = html.find(&key)? + key.len();
    html[i..].split('"').next().map(str::to_owned)
}

/// The value of cookie `name` set by an answer.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.split(';')
                .next()
                .and_then(|kv| kv.split_once('='))
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| v.to_owned())
        })
}

/// The person invited: where the portal is and how to reach their two contacts.
pub struct Invitee<'a> {
    /// A client trusting the vault's CA (no client certificate).
    pub client: &'a reqwest::Client,
    /// The portal's base URL (`https://127.0.0.1:PORT`).
    pub portal: String,
    /// The SMTP sink the vault sends to.
    pub smtp: &'a SmtpSink,
    /// The SMS gateway the vault sends to.
    pub sms: &'a SmsSink,
    /// The person's e-mail address.
    pub email: &'a str,
    /// The person's mobile (E.164).
    pub mobile: &'a str,
}

impl Invitee<'_> {
    /// Opens the last invitation's link, asks for the codes and answers `reponse`
    /// (`accepter`, `refuser` or `revoquer`); returns the page the portal answers with.
    pub async fn answer(&self, reponse: &str) -> Result<String> {
        let token = invitation_link(self.smtp, self.email)?;
        let url = format!("{}/portail/consentement/{token}", self.portal);
        let page = self.client.get(&url).send().await?;
        if !page.status().is_success() {
            bail!("the invitation's page answered {}", page.status());
        }
        let csrf = set_cookie(&page, "sceau_csrf").context("no CSRF cookie")?;
        let html = page.text().await?;
        let form_csrf = hidden(&html, "csrf").context("no form on the invitation's page")?;
        let cookie = format!("sceau_csrf={csrf}");
        let r = self
            .client
            .post(format!("{url}/codes"))
            .header(reqwest::header::COOKIE, &cookie)
            .form(&[("csrf", form_csrf.as_str())])
            .send()
            .await?;
        if !r.status().is_success() {
            bail!(
                "asking for the codes answered {}: {}",
                r.status(),
                r.text().await?
            );
        }
        let (email_code, sms_code) =
            invitation_codes(self.smtp, self.sms, self.email, self.mobile)?;
        let r = self
            .client
            .post(&url)
            .header(reqwest::header::COOKIE, &cookie)
            .form(&[
                ("csrf", form_csrf.as_str()),
                ("code_courriel", email_code.as_str()),
                ("code_sms", sms_code.as_str()),
                ("reponse", reponse),
            ])
            .send()
            .await?;
        let status = r.status();
        let html = r.text().await?;
        if !status.is_success() {
            bail!("the answer was refused ({status}): {html}");
        }
        Ok(html)
    }
}

/// The portal's Chromium specs (`tests/portal`, playwright-core driving Debian's Chromium).
pub fn spec_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/portal")
}

/// Installs the specs' `playwright-core` if `cargo xtask setup` has not (no browser download:
/// the specs drive Debian's Chromium).
pub fn ensure_playwright() -> Result<()> {
    let dir = spec_dir();
    if dir.join("node_modules/playwright-core").exists() {
        return Ok(());
    }
    let st = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .status()
        .context("npm (cargo xtask setup installs Node.js and npm)")?;
    if !st.success() {
        bail!("npm ci in tests/portal failed");
    }
    Ok(())
}

/// axe-core's script, if `npm ci` has run in `ui/` (the desktop front end's dev dependencies).
pub fn axe_core() -> Option<std::path::PathBuf> {
    Some(spec_dir().join("../../ui/node_modules/axe-core/axe.min.js")).filter(|p| p.exists())
}

/// Headless Chromium (JavaScript off) answers the invitation at `link` with `answer`
/// (`accepter`, `refuser`, `revoquer`) after `wrong` wrong tries, reading the e-mailed code from
/// `smtp`'s files and the texted one from `sms`; what the pages showed (`tests/portal/
/// consent.spec.mjs`: `invitation`, `codesPage`, `refusedTries`, `final.title`, `final.text`,
/// and per page `pages.<name>`: `scrollWidth`, `innerWidth`, `small` controls, `fontSize` and
/// axe-core's `axe` violations when [`axe_core`] is there); each page is saved as
/// `target/portal-screenshots/consentement-<answer>[-<n>faux]-<page>-390x844.png`.
pub fn chromium_answer(
    link: &str,
    smtp: &SmtpSink,
    sms: &SmsSink,
    answer: &str,
    wrong: u32,
) -> Result<serde_json::Value> {
    ensure_playwright()?;
    let run = std::process::Command::new("node")
        .arg(spec_dir().join("consent.spec.mjs"))
        .env("SCEAU_INVITATION_LINK", link)
        .env("SCEAU_MAIL_DIR", smtp.dir())
        .env("SCEAU_SMS_SINK", sms.received_url())
        .env("SCEAU_ANSWER", answer)
        .env("SCEAU_WRONG", wrong.to_string())
        .env(
            "SCEAU_SHOTS",
            spec_dir().join("../../target/portal-screenshots"),
        )
        .envs(axe_core().map(|p| ("SCEAU_AXE", p)))
        .output()
        .context("node")?;
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    if !run.status.success() {
        bail!(
            "the Chromium spec failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    Ok(serde_json::from_str(
        stdout.lines().last().unwrap_or_default(),
    )?)
}
