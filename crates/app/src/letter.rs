//! The plain letter of a service delivered "à domicile" (CPC 662-1): sent on the first working
//! day after the transmission, stating the electronic service, the nature of the act and the
//! requesting party. Pure: the text is made from the service's data; rendering it as PDF/A is
//! the PDF crate's job.

use chrono::{DateTime, NaiveDate, Utc};
use sceau_core::calendar::Calendar;
use sceau_core::delivery::DeliveryRule;
use sceau_core::region::Region;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::App;

/// What the letter needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LetterInput {
    /// Office number.
    pub office_number: String,
    /// Office name.
    pub office_name: String,
    /// Recipient's name.
    pub recipient_name: String,
    /// Nature label.
    pub nature_label: String,
    /// The office's reference.
    pub reference: String,
    /// The requesting party, if known.
    pub requerant: Option<String>,
    /// Time of service (transmission by the vault).
    pub served_at: DateTime<Utc>,
}

/// The drafted letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Letter {
    /// Date of the letter: the first working day after the transmission.
    pub date: NaiveDate,
    /// Its text (plain, French).
    pub text: String,
}

/// Drafts the letter (pure), in Paris time with `calendar`.
pub fn draft(input: &LetterInput, rule: DeliveryRule, calendar: &Calendar) -> Letter {
    let date = sceau_core::delivery::letter_date(input.served_at, rule, calendar);
    compose(
        input,
        date,
        &sceau_core::naming::format_paris(input.served_at),
    )
}

/// Drafts the letter (pure) in the governing place of the service (ARCHITECTURE.md, "The place
/// of a service"): its date is the first working day after the transmission's day there, and
/// the time of service is written in its local time (its zone named when not Paris's).
pub fn draft_in(input: &LetterInput, rule: DeliveryRule, place: &Region) -> Letter {
    let date = sceau_core::delivery::letter_date_in(input.served_at, rule, place);
    let mut served = place
        .local(input.served_at)
        .format("%d/%m/%Y %H:%M:%S")
        .to_string();
    if let Some(zone) = sceau_core::place::zone_named(place) {
        served.push_str(&format!(" ({zone})"));
    }
    compose(input, date, &served)
}

fn compose(input: &LetterInput, date: NaiveDate, served: &str) -> Letter {
    let requerant = input
        .requerant
        .as_deref()
        .map(|r| format!(", à la requête de {r}"))
        .unwrap_or_default();
    let text = format!(
        "{office_name}\nÉtude n° {office_number}\n\nLe {date}\n\nÀ l'attention de {recipient}\n\n\
Objet : signification par voie électronique — référence {reference}\n\n\
Madame, Monsieur,\n\n\
Nous vous informons qu'un acte de nature « {nature} » vous a été signifié par voie électronique{requerant}, \
le {served}, dans votre coffre-fort électronique, conformément aux articles 662-1 et 748-1 et suivants \
du code de procédure civile. Cet acte n'ayant pas été consulté le jour de sa transmission, la \
signification est réputée faite à domicile.\n\n\
Vous pouvez consulter et télécharger l'acte dans votre coffre-fort électronique.\n\n\
Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.\n",
        office_name = input.office_name,
        office_number = input.office_number,
        date = date.format("%d/%m/%Y"),
        recipient = input.recipient_name,
        reference = input.reference,
        nature = input.nature_label,
    );
    Letter { date, text }
}

impl App {
    /// The letter of service `key` (id, deposit id or reference); only for a service delivered
    /// "à domicile".
    pub fn letter(&self, key: &str) -> Result<Letter> {
        let s = self.find_service(key)?;
        if s.state != Some(sceau_core::delivery::DeliveryState::AtHome) {
            return Err(Error::Input {
                code: "app.not_at_home",
                message: format!(
                    "La signification « {} » n'est pas remise à domicile : aucune lettre simple n'est à envoyer.",
                    s.reference
                ),
            });
        }
        let (office_number, office_name) = self.office()?;
        let nature_label = crate::office::nature_label(&s.nature);
        let served_at = s.served_at.ok_or_else(|| Error::NotFound {
            what: "Date de signification".into(),
        })?;
        let place = self.service_place(s.vault_deposit_id.as_deref());
        Ok(draft_in(
            &LetterInput {
                office_number,
                office_name,
                recipient_name: s.recipient_name,
                nature_label,
                reference: s.reference,
                requerant: s.requerant,
                served_at,
            },
            DeliveryRule::default(),
            &place,
        ))
    }

    /// The place a service was accepted under: the one its local archive's attestation records
    /// (the recipient's or the office's as the vault knew them), else the office's as this
    /// workstation knows it (Alsace-Moselle when the office's calendar says so, else Paris).
    fn service_place(&self, deposit_id: Option<&str>) -> Region {
        deposit_id
            .and_then(|d| self.local_archive_attestation(d))
            .and_then(|xml| sceau_core::place::place_in_attestation(&xml))
            .filter(|p| p.source != sceau_core::place::PlaceSource::Default)
            .map(|p| p.region)
            .unwrap_or_else(|| self.config.office_region().unwrap_or(Region::PARIS))
    }

    /// The deposit attestation in the local archive of `deposit_id`, if downloaded.
    fn local_archive_attestation(&self, deposit_id: &str) -> Option<String> {
        use std::io::Read;
        let zip_path = self.local_archive(deposit_id).ok()??;
        let bytes = self.read_local_file(&zip_path).ok()?;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
        let mut entry = zip.by_name(sceau_proto::ATTESTATION_NAME).ok()?;
        let mut xml = String::new();
        entry.read_to_string(&mut xml).ok()?;
        Some(xml)
    }
}

/// The letter as PDF/A-1b (`sceau_pdfa::render`), one paragraph per line of its text.
pub fn render_pdf(letter: &Letter, office_name: &str, at: DateTime<Utc>) -> Result<Vec<u8>> {
    use sceau_pdfa::render::{Block, TextDocument};
    let blocks = letter
        .text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Block::Paragraph(l.to_owned()))
        .collect();
    let doc = TextDocument {
        title: "Lettre simple - signification par voie électronique".into(),
        author: office_name.to_owned(),
        blocks,
    };
    sceau_pdfa::render::render(&doc, at).map_err(|source| Error::Conversion {
        file: "lettre simple".into(),
        source,
    })
}

impl App {
    /// The letter of service `key` and its PDF/A-1b rendering.
    pub fn letter_pdf(&self, key: &str) -> Result<(Letter, Vec<u8>)> {
        let letter = self.letter(key)?;
        let (_, office_name) = self.office()?;
        let pdf = render_pdf(&letter, &office_name, Utc::now())?;
        Ok((letter, pdf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn saturday_counts_sunday_does_not() {
        // Friday 2026-03-06 15:00 Paris: the first working day after is Saturday the 7th.
        let fri = Utc
            .with_ymd_and_hms(2026, 3, 6, 14, 0, 0)
            .single()
            .expect("date");
        let input = LetterInput {
            office_number: "9991".into(),
            office_name: "Etude 9991".into(),
            recipient_name: "BANQUE TEST".into(),
            nature_label: "Saisie-attribution".into(),
            reference: "REF-1".into(),
            requerant: Some("SA CREANCIER".into()),
            served_at: fri,
        };
        let l = draft(&input, DeliveryRule::SameCalendarDay, &Calendar::default());
        assert_eq!(l.date, NaiveDate::from_ymd_opt(2026, 3, 7).expect("date"));
        assert!(l.text.contains("07/03/2026"));
        assert!(l.text.contains("SA CREANCIER"));
        assert!(l.text.contains("662-1"));
        // Saturday 15:00: Sunday is skipped, Monday the 9th.
        let sat = Utc
            .with_ymd_and_hms(2026, 3, 7, 14, 0, 0)
            .single()
            .expect("date");
        let l = draft(
            &LetterInput {
                served_at: sat,
                ..input
            },
            DeliveryRule::SameCalendarDay,
            &Calendar::default(),
        );
        assert_eq!(l.date, NaiveDate::from_ymd_opt(2026, 3, 9).expect("date"));
        // Its PDF is PDF/A-1b.
        let pdf = render_pdf(&l, "Etude 9991", sat).expect("render");
        let verdict = sceau_pdfa::check_pdfa1b(&pdf);
        assert!(verdict.conformant, "{:?}", verdict.violations);
    }

    #[test]
    fn the_letter_follows_reunion_s_day() {
        // Saturday 18 December 2027, 10:00 in La Réunion; Monday 20 is its abolition day.
        let sent = chrono_tz::Indian::Reunion
            .with_ymd_and_hms(2027, 12, 18, 10, 0, 0)
            .single()
            .expect("date")
            .with_timezone(&Utc);
        let input = LetterInput {
            office_number: "9741".into(),
            office_name: "Etude 9741".into(),
            recipient_name: "Marie PAYET".into(),
            nature_label: "Saisie-attribution".into(),
            reference: "REF-974".into(),
            requerant: None,
            served_at: sent,
        };
        let reunion = Region::from_code("974").expect("region");
        let l = draft_in(&input, DeliveryRule::SameCalendarDay, &reunion);
        assert_eq!(l.date, NaiveDate::from_ymd_opt(2027, 12, 21).expect("date"));
        assert!(l.text.contains("Le 21/12/2027"), "{}", l.text);
        assert!(
            l.text
                .contains("le 18/12/2027 10:00:00 (heure de La Réunion (Indian/Reunion))"),
            "{}",
            l.text
        );
        // In Paris's place the same service's letter is Monday's.
        let paris = draft_in(&input, DeliveryRule::SameCalendarDay, &Region::PARIS);
        assert_eq!(
            paris.date,
            NaiveDate::from_ymd_opt(2027, 12, 20).expect("date")
        );
        assert!(
            paris.text.contains("le 18/12/2027 07:00:00,"),
            "{}",
            paris.text
        );
    }
}
