//! The place whose law governs a service (issue 19; ARCHITECTURE.md, "The place of a service"):
//! the recipient's when it is known, the office's otherwise. One function decides it
//! ([`governing_place`]); the legal hours (CPC 664), the day of the transmission (CPC 662-1) and
//! the plain letter's date are then read in that place's time zone and calendar. Pure: the
//! callers give the places they know.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::hours::{service_allowed_in, Closed, ReceptionRule, NEVER};
use crate::reception::next_opening_sentence_in;
use crate::region::Region;

/// Where the governing place came from (recorded in the attestation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceSource {
    /// The recipient's place: a person's postal address, a company's registered office.
    Recipient,
    /// The recipient's place is unknown: the office's.
    Office,
    /// Neither is known: metropolitan France (Paris), the place of the former rule.
    Default,
}

impl PlaceSource {
    /// The stable code (`recipient`, `office`, `default`).
    pub fn code(self) -> &'static str {
        match self {
            PlaceSource::Recipient => "recipient",
            PlaceSource::Office => "office",
            PlaceSource::Default => "default",
        }
    }
}

/// The place that governs a service and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Governing {
    /// The place.
    pub region: Region,
    /// Whose place it is.
    pub source: PlaceSource,
}

/// The place whose time zone and calendar govern a service: the recipient's when known, else
/// the office's, else [`Region::PARIS`].
pub fn governing_place(recipient: Option<&Region>, office: Option<&Region>) -> Region {
    governing(recipient, office).region
}

/// [`governing_place`] with where it came from.
pub fn governing(recipient: Option<&Region>, office: Option<&Region>) -> Governing {
    match (recipient, office) {
        (Some(r), _) => Governing {
            region: *r,
            source: PlaceSource::Recipient,
        },
        (None, Some(o)) => Governing {
            region: *o,
            source: PlaceSource::Office,
        },
        (None, None) => Governing {
            region: Region::PARIS,
            source: PlaceSource::Default,
        },
    }
}

/// The name of the calendar in force in `region`: `national`, `alsace_moselle`, or
/// `national+<code>` for an overseas place's own days.
pub fn calendar_code(region: &Region) -> String {
    if region.is_overseas() {
        format!("national+{}", region.code())
    } else if region.is_alsace_moselle() {
        "alsace_moselle".to_owned()
    } else {
        "national".to_owned()
    }
}

/// How a refusal names `region`'s local time when it is not Paris's: `heure de Martinique
/// (America/Martinique)`; `None` for metropolitan France.
pub fn zone_named(region: &Region) -> Option<String> {
    (region.time_zone() != crate::PARIS).then(|| {
        format!(
            "heure de {} ({})",
            region.name_fr(),
            region.time_zone().name()
        )
    })
}

/// The sentence that ends a refusal in `region`: the next opening in its local time, the zone
/// named when it is not Paris's (`Prochaine ouverture : le 13/01/2027 à 06:00, heure de
/// Martinique (America/Martinique).`).
pub fn next_opening_sentence(next: DateTime<Utc>, region: &Region) -> String {
    let sentence = next_opening_sentence_in(next, region.time_zone());
    match zone_named(region) {
        Some(zone) if next != NEVER => {
            let body = sentence.strip_suffix('.').unwrap_or(&sentence);
            format!("{body}, {zone}.")
        }
        _ => sentence,
    }
}

/// CPC 664 and the recipient's windows at `at` in the governing place `region`
/// ([`service_allowed_in`]), the refusal's next opening naming the zone when it is not Paris's.
pub fn service_allowed_at(
    at: DateTime<Utc>,
    rule: Option<&ReceptionRule>,
    judge_permission: Option<&str>,
    region: &Region,
) -> Result<(), Closed> {
    service_allowed_in(at, rule, judge_permission, region).map_err(|mut closed| {
        let plain = next_opening_sentence_in(closed.next_opening, region.time_zone());
        if let Some(first) = closed.message_fr.strip_suffix(&plain) {
            closed.message_fr = format!(
                "{first}{}",
                next_opening_sentence(closed.next_opening, region)
            );
        }
        closed
    })
}

/// The governing place an attestation records (`<lieu code="…" source="…">` of
/// `attestation_depot.xml`, [`crate::attestation::DepositAttestation::place`]); `None` for an
/// attestation of an earlier version or another text.
pub fn place_in_attestation(xml: &str) -> Option<Governing> {
    let start = xml.find("<lieu ")?;
    let tag = xml.get(start..)?.split('>').next()?;
    let attr = |name: &str| {
        let key = format!(" {name}=\"");
        let from = tag.find(&key)? + key.len();
        tag.get(from..)?.split('"').next()
    };
    let region = Region::from_code(attr("code")?).ok()?;
    let source = [
        PlaceSource::Recipient,
        PlaceSource::Office,
        PlaceSource::Default,
    ]
    .into_iter()
    .find(|s| Some(s.code()) == attr("source"))?;
    Some(Governing { region, source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn r(code: &str) -> Region {
        Region::from_code(code).expect("known")
    }

    #[test]
    fn the_recipient_s_place_first_then_the_office_s_then_paris() {
        let (mq, als) = (r("972"), r("67"));
        assert_eq!(governing_place(Some(&mq), Some(&als)), mq);
        assert_eq!(governing_place(None, Some(&als)), als);
        assert_eq!(governing_place(None, None), Region::PARIS);
        assert_eq!(
            governing(Some(&mq), None).source.code(),
            PlaceSource::Recipient.code()
        );
        assert_eq!(governing(None, Some(&als)).source, PlaceSource::Office);
        assert_eq!(governing(None, None).source, PlaceSource::Default);
        assert_eq!(calendar_code(&als), "alsace_moselle");
        assert_eq!(calendar_code(&r("974")), "national+974");
        assert_eq!(calendar_code(&r("2A")), "national");
    }

    #[test]
    fn the_place_is_read_back_from_an_attestation() {
        let xml = "<attestationDepot><lieu code=\"974\" source=\"recipient\"><nom>La Réunion</nom>";
        assert_eq!(
            place_in_attestation(xml),
            Some(governing(Some(&r("974")), None))
        );
        assert_eq!(place_in_attestation("<attestationDepot/>"), None);
        assert_eq!(
            place_in_attestation("<lieu code=\"99\" source=\"office\">"),
            None
        );
        assert_eq!(
            place_in_attestation("<lieu code=\"75\" source=\"x\">"),
            None
        );
    }

    #[test]
    fn a_refusal_overseas_names_its_zone() {
        let mq = r("972");
        let at = chrono_tz::America::Martinique
            .with_ymd_and_hms(2027, 1, 12, 21, 30, 0)
            .unwrap()
            .with_timezone(&Utc);
        let closed = service_allowed_at(at, None, None, &mq).unwrap_err();
        assert!(
            closed.message_fr.ends_with(
                "Prochaine ouverture : le 13/01/2027 à 06:00, heure de Martinique \
                 (America/Martinique)."
            ),
            "{}",
            closed.message_fr
        );
        assert_eq!(
            crate::reception::explanation(&closed.message_fr, Some(closed.next_opening)),
            closed
                .message_fr
                .split(" Prochaine ouverture")
                .next()
                .unwrap()
        );
        assert!(service_allowed_at(at - chrono::Duration::hours(1), None, None, &mq).is_ok());
        // Metropolitan France: the sentence of part A, unchanged.
        let paris_closed = service_allowed_at(at, None, None, &Region::PARIS).unwrap_err();
        assert!(!paris_closed.message_fr.contains("heure de"));
        assert_eq!(zone_named(&r("67")), None);
    }

    #[test]
    fn the_delivery_deadline_and_the_letter_follow_reunion_s_day() {
        use crate::delivery::{deadline, deadline_in, decide_in, letter_date_in, DeliveryRule};
        use crate::delivery::{letter_date, DeliveryState};
        let re = r("974");
        let reunion = chrono_tz::Indian::Reunion;
        // Saturday 18 December 2027, 10:00 in La Réunion (07:00 in Paris); Monday 20 December
        // is Réunion's day of the abolition of slavery.
        let sent = reunion
            .with_ymd_and_hms(2027, 12, 18, 10, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let rule = DeliveryRule::SameCalendarDay;
        let local_midnight = reunion
            .with_ymd_and_hms(2027, 12, 19, 0, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(deadline_in(sent, rule, re.time_zone()), local_midnight);
        assert_eq!(
            deadline(sent, rule) - local_midnight,
            chrono::Duration::hours(3)
        );
        let day = |d| chrono::NaiveDate::from_ymd_opt(2027, 12, d).unwrap();
        assert_eq!(letter_date_in(sent, rule, &re), day(21));
        assert_eq!(
            letter_date(sent, rule, &crate::calendar::Calendar::NATIONAL),
            day(20)
        );
        assert_eq!(letter_date_in(sent, rule, &Region::PARIS), day(20));
        // Consulted at 23:30 in La Réunion: late there, though still the 18th in Paris.
        let late = local_midnight - chrono::Duration::minutes(30) + chrono::Duration::hours(1);
        let d = decide_in(sent, Some(late), late, rule, &re);
        assert_eq!(d.state, DeliveryState::AtHome);
        assert_eq!(d.letter_date, Some(day(21)));
        let in_time = decide_in(
            sent,
            Some(local_midnight - chrono::Duration::seconds(1)),
            late,
            rule,
            &re,
        );
        assert_eq!(in_time.state, DeliveryState::InPerson);
    }
}
