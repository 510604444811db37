//! The page of one act: who serves it, what it is, what its state means for the person, the
//! act to read or download, its signature explained with the files to check it, the return
//! where the nature expects one, and what to do if the person does not recognise it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use chrono::{DateTime, Utc};
use sceau_core::delivery::{deadline_in, DeliveryRule, DeliveryState};
use sceau_core::naming::format_paris;
use sceau_core::region::Region;

use super::acts::{offices, session_deposit, state_fr, url_seg};
use super::html::{esc, internal, session_page};
use super::session::Session;
use super::signature::{signatures, Signed};
use super::AuditLog;
use crate::store::meta::{self, DepositRow, OfficeRow};
use crate::{delivery, invitation, Vault};

/// What the state means for the person, in plain words, with the dates — read in the deposit's
/// place (`place`: its day for the same-day rule, its clock for every time, the zone named when
/// it is not Paris's).
pub(super) fn state_explained(
    rule: DeliveryRule,
    state: DeliveryState,
    sent: DateTime<Utc>,
    consulted: Option<DateTime<Utc>>,
    place: &Region,
) -> String {
    let zone = sceau_core::place::zone_named(place)
        .map(|z| format!(" ({z})"))
        .unwrap_or_default();
    let when = |t: DateTime<Utc>| place.local(t).format("%d/%m/%Y %H:%M:%S").to_string();
    let within = match rule {
        DeliveryRule::SameCalendarDay => format!(
            "le jour même de son envoi (le {})",
            place.local(sent).format("%d/%m/%Y")
        ),
        DeliveryRule::Hours24 => format!(
            "dans les 24 heures suivant son envoi (avant le {})",
            when(deadline_in(sent, rule, place.time_zone()))
        ),
    };
    let law = rule.legal_basis_fr();
    let dated = format!(
        "La signification est datée du {}{zone} : c'est l'heure à laquelle le coffre-fort vous a \
         transmis l'acte (article 664-1 du code de procédure civile), et les délais indiqués dans \
         l'acte comptent à partir de cette date.",
        when(sent)
    );
    match state {
        DeliveryState::InPerson => format!(
            "Vous avez ouvert cet acte le {}, {within} : il vous est donc signifié « à personne »\
             {law}, comme si le commissaire de justice vous l'avait remis en main propre. {dated}",
            consulted.map(when).unwrap_or_default()
        ),
        DeliveryState::AtHome => format!(
            "Cet acte n'a pas été ouvert {within} : il vous est donc signifié « à domicile »{law}, \
             comme un acte laissé à votre adresse en votre absence. La signification est valable \
             quand même. {dated} L'étude vous envoie aussi une lettre simple qui vous informe de \
             cette signification. {seen}",
            seen = match consulted {
                Some(at) => format!("Vous l'avez ouvert le {}.", when(at)),
                None => "Vous pouvez toujours le lire ici.".to_owned(),
            }
        ),
        DeliveryState::AwaitingConsultation => format!(
            "Vous n'avez pas encore ouvert cet acte. Si vous l'ouvrez {within}, il vous sera \
             signifié « à personne »{law} ; sinon il vous sera signifié « à domicile ». Dans les \
             deux cas la signification est valable. {dated}"
        ),
    }
}

/// The sentence saying what the vault verified about one act's signature.
pub(super) fn signature_sentence(s: &Signed, deposited: DateTime<Utc>) -> String {
    let cert = if s.qualified {
        "un certificat qualifié de signature électronique (règlement européen eIDAS)"
    } else {
        "un certificat de signature électronique"
    };
    let when = s
        .signed_at
        .map(|t| format!(" le {}", format_paris(t)))
        .unwrap_or_default();
    let title = s
        .title
        .as_deref()
        .map(|t| format!(", {}", t.to_lowercase()))
        .unwrap_or_default();
    format!(
        "Signé électroniquement par {signer}{title}{when}, avec {cert} délivré par {issuer}. Le \
         coffre-fort a vérifié cette signature lors du dépôt, le {dep} : elle est valide et \
         l'acte n'a pas été modifié depuis sa signature.",
        signer = s.signer,
        issuer = s.issuer,
        dep = format_paris(deposited)
    )
}

/// The office in words: the commissaire, the office's name and number and, when the operator
/// declared them, its address and phone (else where to find them: the act's heading).
fn office_html(o: Option<&OfficeRow>, contact: &meta::OfficeContact) -> String {
    let Some(o) = o else {
        return "<p>L'étude qui a déposé cet acte n'est plus connue du coffre-fort : ses \
                coordonnées figurent en tête de l'acte.</p>"
            .to_owned();
    };
    let mut facts = String::new();
    if let Some(a) = &contact.address {
        facts.push_str(&format!("<dt>Adresse</dt><dd>{}</dd>", esc(a)));
    }
    if let Some(p) = &contact.phone {
        let digits: String = p
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        facts.push_str(&format!(
            "<dt>Téléphone</dt><dd><a href=\"tel:{}\">{}</a></dd>",
            esc(&digits),
            esc(p)
        ));
    }
    let missing = match (&contact.address, &contact.phone) {
        (Some(_), Some(_)) => "",
        (None, None) => "<p>L'adresse et le téléphone de l'étude figurent en tête de l'acte.</p>",
        (None, Some(_)) => "<p>L'adresse de l'étude figure en tête de l'acte.</p>",
        (Some(_), None) => "<p>Le téléphone de l'étude figure en tête de l'acte.</p>",
    };
    format!(
        "<p><strong>{who}, commissaire de justice</strong></p>\
         <dl class=\"fiche\"><dt>Étude</dt><dd>{name}</dd><dt>Numéro d'étude</dt>\
         <dd>{number}</dd>{facts}</dl>{missing}",
        who = esc(&invitation::office_short_name(o)),
        name = esc(&o.office.name),
        number = esc(&o.office.number),
    )
}

fn documents_html(d: &DepositRow) -> String {
    let id = url_seg(&d.id);
    let mut out = String::new();
    for f in &d.files {
        out.push_str(&format!(
            "<p class=\"fichier\">{name}</p><div class=\"actions\">\
             <a class=\"bouton\" href=\"/portail/actes/{id}/document/{f}\">Lire l'acte</a>\
             <a class=\"bouton second\" href=\"/portail/actes/{id}/document/{f}?telecharger=1\">\
             Télécharger (PDF)</a></div>",
            name = esc(f),
            f = url_seg(f)
        ));
    }
    out.push_str(
        "<p class=\"discret\">Ouvrir ou télécharger l'acte vaut consultation : la date et \
         l'heure en sont enregistrées.</p>",
    );
    out
}

/// The signatures in words, with their files, the archive and, when the deposit has one (those
/// made before it existed have none), the single XML flow.
fn signatures_html(d: &DepositRow, signed: &[(String, Option<Signed>)], has_flow: bool) -> String {
    let id = url_seg(&d.id);
    let mut out = String::new();
    for (f, s) in signed {
        let words = match s {
            Some(s) => esc(&signature_sentence(s, d.deposited_at)),
            None => format!(
                "Le coffre-fort a vérifié la signature de cet acte lors du dépôt, le {}. Son \
                 détail ne peut pas être affiché ici : téléchargez la signature pour la vérifier \
                 vous-même.",
                format_paris(d.deposited_at)
            ),
        };
        let subject = s.as_ref().map_or_else(String::new, |s| {
            format!(
                "<p class=\"mince discret\">Titulaire du certificat : {}</p>",
                esc(&s.subject)
            )
        });
        out.push_str(&format!(
            "<p class=\"fichier\"><strong>{name}</strong></p><p>{words}</p>{subject}\
             <div class=\"actions\"><a class=\"bouton second\" \
             href=\"/portail/actes/{id}/signature/{fs}\">Signature (.p7s)</a></div>",
            name = esc(f),
            fs = url_seg(f)
        ));
    }
    out.push_str(&format!(
        "<p>Pour la vérifier vous-même, ouvrez l'acte et son fichier de signature (.p7s, \
         signature CAdES détachée) dans un outil de vérification de signature électronique. \
         L'archive ci-dessous contient les actes, leurs signatures et l'attestation de dépôt \
         scellée et horodatée par le coffre-fort.</p><div class=\"actions\">\
         <a class=\"bouton second\" href=\"/portail/actes/{id}/paquet\">Tout télécharger \
         (ZIP)</a></div>"
    ));
    if has_flow {
        out.push_str(&format!(
            "<p>Le flux XML réunit dans un seul document, lisible par un logiciel, le message \
             de données de l'acte (étude, requérant, destinataire, nature, référence) et \
             l'acte signé avec sa signature.</p><div class=\"actions\">\
             <a class=\"bouton second\" href=\"/portail/actes/{id}/flux\">Flux XML \
             (pour un logiciel)</a></div>"
        ));
    }
    out
}

fn return_html(vault: &Vault, d: &DepositRow, returned: bool, s: &Session) -> String {
    if !vault
        .natures
        .get(&d.nature)
        .is_some_and(|n| n.expects_return)
    {
        return String::new();
    }
    let inner = if returned {
        "<p class=\"info\">Votre réponse a été déposée et transmise à l'étude.</p>".to_owned()
    } else {
        format!(
            "<p>Cet acte attend une réponse de votre part (par exemple une déclaration).</p>\
             <form method=\"post\" action=\"/portail/actes/{id}/retour\" \
             enctype=\"multipart/form-data\"><input type=\"hidden\" name=\"csrf\" value=\"{c}\">\
             <div class=\"champ\"><label for=\"pdf\">Réponse (PDF)</label><input id=\"pdf\" \
             type=\"file\" name=\"pdf\" accept=\"application/pdf\" required></div>\
             <div class=\"champ\"><label for=\"json\">Réponse structurée (JSON, facultatif)\
             </label><input id=\"json\" type=\"file\" name=\"json\" \
             accept=\"application/json\"></div>\
             <p><button type=\"submit\">Déposer la réponse</button></p></form>",
            id = url_seg(&d.id),
            c = esc(&s.csrf)
        )
    };
    format!("<section class=\"carte\" aria-labelledby=\"t-reponse\"><h2 id=\"t-reponse\">Votre réponse</h2>{inner}</section>")
}

/// What to do with an act the person does not recognise.
const HELP: &str = "<section class=\"carte aide\" aria-labelledby=\"t-aide\">\
<h2 id=\"t-aide\">Vous ne reconnaissez pas cet acte ?</h2>\
<p>Contactez l'étude qui vous l'a signifié, à l'adresse ou au téléphone écrits en tête de l'acte, \
ou ceux que donne l'annuaire de la Chambre nationale des commissaires de justice \
(commissaire-justice.fr). N'utilisez jamais un numéro ou un lien reçu d'un expéditeur que vous \
ne connaissez pas.</p>\
<p>Le coffre-fort ne vous demandera jamais de payer, ni vos coordonnées bancaires, ni un mot de \
passe : seul le code à usage unique reçu par SMS ou courriel sert à vous connecter, et il ne \
se communique à personne.</p>\
<p>Ne pas reconnaître un acte ne l'annule pas : seule l'étude, ou un avocat, peut vous dire \
quoi faire.</p></section>";

/// `GET /portail/actes/{id}`.
pub(super) async fn act(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (s, d) = match session_deposit(&vault, &log, &headers, &id, "act_refused").await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let (did, rid) = (d.id.clone(), s.recipient_id.clone());
    let Ok((consulted, returned, has_flow)) = vault
        .db_read(move |sql| {
            Ok((
                meta::consultation(sql, &did)?,
                meta::act_return(sql, &did)?.is_some(),
                meta::recipient_file_sha(sql, &rid, &did, sceau_core::flow::FLOW_NAME)?.is_some(),
            ))
        })
        .await
    else {
        return internal();
    };
    log.record(&vault, Some(&s.recipient_id), "act", Some(&d.id), true);
    let found = offices(&vault, vec![d.office_id.clone()]).await;
    let oid = d.office_id.clone();
    let contact = vault
        .db_read(move |sql| meta::office_contact(sql, &oid))
        .await
        .unwrap_or_default();
    let signed = signatures(&vault, &d).await;
    let label = vault
        .natures
        .get(&d.nature)
        .map_or(d.nature.as_str(), |n| n.label_fr.as_str());
    let shown = delivery::shown_state(&vault, &d, consulted);
    let (state, class) = state_fr(shown);
    let body = format!(
        "<div class=\"actions\"><a class=\"bouton second\" href=\"/portail/actes\">Retour à vos \
         actes</a></div>\
         <dl class=\"fiche\"><dt>Nature de l'acte</dt><dd>{label}</dd><dt>Signifié le</dt>\
         <dd>{at}</dd><dt>Référence de l'étude</dt><dd class=\"mince\">{reference}</dd></dl>\
         <section class=\"carte\" aria-labelledby=\"t-etude\"><h2 id=\"t-etude\">Qui vous \
         signifie cet acte</h2>{office}</section>\
         <section class=\"carte\" aria-labelledby=\"t-etat\"><h2 id=\"t-etat\">État de la \
         signification</h2><p><span class=\"etat {class}\">{state}</span></p><p>{explained}</p>\
         </section>\
         <section class=\"carte\" aria-labelledby=\"t-acte\"><h2 id=\"t-acte\">L'acte</h2>\
         {documents}</section>\
         <section class=\"carte\" aria-labelledby=\"t-signature\"><h2 id=\"t-signature\">\
         Signature électronique</h2>{signatures}</section>{ret}{HELP}",
        label = esc(label),
        at = format_paris(d.deposited_at),
        reference = esc(&d.reference),
        office = office_html(found.get(&d.office_id), &contact),
        explained = esc(&state_explained(
            delivery::rule_of(&vault),
            shown,
            d.deposited_at,
            consulted,
            &crate::place::of_deposit(&vault, &d),
        )),
        documents = documents_html(&d),
        signatures = signatures_html(&d, &signed, has_flow),
        ret = return_html(&vault, &d, returned, &s),
    );
    session_page(StatusCode::OK, label, &body, &s, vault.clock.now())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
    }

    #[test]
    fn each_state_is_explained_with_its_dates() {
        let sent = at(3, 9);
        assert_eq!(
            state_explained(
                DeliveryRule::SameCalendarDay,
                DeliveryState::InPerson,
                sent,
                Some(at(3, 15)),
                &Region::PARIS,
            ),
            "Vous avez ouvert cet acte le 03/03/2026 16:00:00, le jour même de son envoi (le \
             03/03/2026) : il vous est donc signifié « à personne » (article 662-1 du code de \
             procédure civile), comme si le commissaire de justice vous l'avait remis en main \
             propre. La signification est datée du 03/03/2026 10:00:00 : c'est l'heure à laquelle \
             le coffre-fort vous a transmis l'acte (article 664-1 du code de procédure civile), \
             et les délais indiqués dans l'acte comptent à partir de cette date."
        );
        assert_eq!(
            state_explained(
                DeliveryRule::SameCalendarDay,
                DeliveryState::AtHome,
                sent,
                None,
                &Region::PARIS,
            ),
            "Cet acte n'a pas été ouvert le jour même de son envoi (le 03/03/2026) : il vous est \
             donc signifié « à domicile » (article 662-1 du code de procédure civile), comme un \
             acte laissé à votre adresse en votre absence. La signification est valable quand \
             même. La signification est datée du 03/03/2026 10:00:00 : c'est l'heure à laquelle \
             le coffre-fort vous a transmis l'acte (article 664-1 du code de procédure civile), \
             et les délais indiqués dans l'acte comptent à partir de cette date. L'étude vous \
             envoie aussi une lettre simple qui vous informe de cette signification. Vous pouvez \
             toujours le lire ici."
        );
        let waiting = state_explained(
            DeliveryRule::Hours24,
            DeliveryState::AwaitingConsultation,
            sent,
            None,
            &Region::PARIS,
        );
        assert!(
            waiting.starts_with(
                "Vous n'avez pas encore ouvert cet acte. Si vous l'ouvrez dans les 24 heures \
                 suivant son envoi (avant le 04/03/2026 10:00:00), il vous sera signifié « à \
                 personne » ; sinon il vous sera signifié « à domicile »."
            ),
            "{waiting}"
        );
    }

    #[test]
    fn an_overseas_act_is_explained_in_its_own_day_and_clock_with_the_zone_named() {
        // Sent on 2 March 2026 at 23:30 in Paris, 18:30 in Martinique (UTC−4); opened at 00:15
        // on 3 March in Paris, still 19:15 on 2 March in Fort-de-France: the same local day.
        let sent = Utc.with_ymd_and_hms(2026, 3, 2, 22, 30, 0).unwrap();
        let opened = Utc.with_ymd_and_hms(2026, 3, 2, 23, 15, 0).unwrap();
        let martinique = Region::from_code("972").unwrap();
        let text = state_explained(
            DeliveryRule::SameCalendarDay,
            DeliveryState::InPerson,
            sent,
            Some(opened),
            &martinique,
        );
        assert!(
            text.starts_with(
                "Vous avez ouvert cet acte le 02/03/2026 19:15:00, le jour même de son envoi (le \
                 02/03/2026)"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "La signification est datée du 02/03/2026 18:30:00 (heure de Martinique \
                 (America/Martinique))"
            ),
            "{text}"
        );
        // Read in Paris, the same instants fall on two days, and no zone is named.
        let paris = state_explained(
            DeliveryRule::SameCalendarDay,
            DeliveryState::InPerson,
            sent,
            Some(opened),
            &Region::PARIS,
        );
        assert!(
            paris.contains("ouvert cet acte le 03/03/2026 00:15:00")
                && paris.contains("datée du 02/03/2026 23:30:00 :"),
            "{paris}"
        );
        assert!(!paris.contains("heure de"), "{paris}");
    }

    #[test]
    fn the_signature_is_told_in_words() {
        let s = Signed {
            signer: "Jeanne DUPONT".into(),
            subject: "CN=Jeanne DUPONT".into(),
            title: Some("Commissaire de justice".into()),
            signed_at: Some(at(3, 8)),
            issuer: "AC des commissaires de justice".into(),
            qualified: true,
        };
        assert_eq!(
            signature_sentence(&s, at(3, 9)),
            "Signé électroniquement par Jeanne DUPONT, commissaire de justice le 03/03/2026 \
             09:00:00, avec un certificat qualifié de signature électronique (règlement européen \
             eIDAS) délivré par AC des commissaires de justice. Le coffre-fort a vérifié cette \
             signature lors du dépôt, le 03/03/2026 10:00:00 : elle est valide et l'acte n'a pas \
             été modifié depuis sa signature."
        );
        let plain = Signed {
            qualified: false,
            title: None,
            signed_at: None,
            ..s
        };
        assert!(signature_sentence(&plain, at(3, 9)).starts_with(
            "Signé électroniquement par Jeanne DUPONT, avec un certificat de signature \
             électronique délivré par"
        ));
    }
}
