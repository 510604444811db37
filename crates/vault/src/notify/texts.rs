//! The notices' words: the portal link, the office as recipients read it, the e-mail (text
//! and HTML) of an act and of a digest, the SMS.

use std::sync::Arc;

use base64::Engine;
use chrono::{DateTime, Utc};
use rand_core::{OsRng, RngCore};
use sceau_core::naming::format_paris;
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::store::meta::{self, OfficeContact, OfficeRow};
use crate::Vault;

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
pub(super) fn host_of(url: &str) -> String {
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

    pub(super) fn load(sql: &mut dyn crate::store::sql::Sql, office_id: &str) -> Result<Server> {
        let o = meta::office_by_id(sql, office_id)?;
        let contact = meta::office_contact(sql, office_id)?;
        Ok(Server::of(o.as_ref(), contact))
    }
}

/// One paragraph of a notice, written once for its text and its HTML.
#[derive(Debug, Clone)]
pub(super) enum Para {
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

pub(super) fn render(subject: String, paras: &[Para]) -> MailText {
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
pub(super) fn closing(url: &str, server: &Server) -> Vec<Para> {
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
