//! Delivery state (CPC 662-1): "à personne" if the recipient took cognizance of the act in time,
//! otherwise "à domicile" with a plain letter due on the first working day.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use std::str::FromStr;

use chrono_tz::Tz;

use crate::calendar::{Calendar, LocalCalendar};
use crate::region::Region;
use crate::CoreError;
use crate::PARIS;

/// Which deadline decides between "à personne" and "à domicile".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeliveryRule {
    /// The law (CPC 662-1): consultation on the calendar day of the transmission, in the governing
    /// place's time zone ([`deadline_in`]; Europe/Paris for [`deadline`]).
    #[default]
    SameCalendarDay,
    /// The SECURACT manual: consultation within 24 hours of the transmission.
    Hours24,
}

impl DeliveryRule {
    /// A stable code for configuration files, the API and attestations.
    pub fn code(self) -> &'static str {
        match self {
            DeliveryRule::SameCalendarDay => "same_calendar_day",
            DeliveryRule::Hours24 => "hours_24",
        }
    }

    /// The French wording stated on delivery attestations.
    pub fn label_fr(self) -> &'static str {
        match self {
            DeliveryRule::SameCalendarDay => {
                "Consultation le jour même de la transmission (article 662-1 du code de procédure civile)"
            }
            DeliveryRule::Hours24 => {
                "Consultation dans les 24 heures suivant la transmission (convention de \
                 l'opérateur du coffre, plus large que le jour de la transmission)"
            }
        }
    }

    /// The law behind the rule, to cite after a sentence that applies it: CPC 662-1 for the
    /// same-day rule; nothing for the 24-hour convention, which is not 662-1's rule ("le jour
    /// de la transmission") and must not be presented as such.
    pub fn legal_basis_fr(self) -> &'static str {
        match self {
            DeliveryRule::SameCalendarDay => " (article 662-1 du code de procédure civile)",
            DeliveryRule::Hours24 => "",
        }
    }
}

/// The instant from which a consultation is late: for the same-day rule the midnight (Europe/Paris)
/// that ends the day of `sent_at`; for the 24-hour rule `sent_at` + 24 h (elapsed time, so a DST
/// change does not shorten or lengthen it).
pub fn deadline(sent_at: DateTime<Utc>, rule: DeliveryRule) -> DateTime<Utc> {
    deadline_in(sent_at, rule, PARIS)
}

/// [`deadline`] with "le jour de la transmission" read in `tz` (the governing place's time
/// zone, [`crate::place::governing_place`]): the local midnight that ends the local day of
/// `sent_at`.
pub fn deadline_in(sent_at: DateTime<Utc>, rule: DeliveryRule, tz: Tz) -> DateTime<Utc> {
    match rule {
        DeliveryRule::Hours24 => sent_at + Duration::hours(24),
        DeliveryRule::SameCalendarDay => {
            let day = sent_at.with_timezone(&tz).date_naive();
            day.succ_opt()
                .map(|next| next.and_time(NaiveTime::MIN))
                // Midnight can be skipped where clocks change at 00:00 (not in Europe/Paris, but
                // in some zones it has been): take the earliest valid instant at or after it.
                .and_then(|m| {
                    (0..=180).find_map(|k| {
                        tz.from_local_datetime(&(m + Duration::minutes(k)))
                            .earliest()
                    })
                })
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        }
    }
}

/// The delivery state of a served act: the one definition used by the vault, its API, the local
/// store, the application and the window (serde, [`FromStr`] and [`std::fmt::Display`] all use
/// [`DeliveryState::code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Sent, not consulted yet, deadline not reached.
    AwaitingConsultation,
    /// "Remise à personne": consulted before the deadline.
    InPerson,
    /// "Remise à domicile": not consulted before the deadline.
    AtHome,
}

impl DeliveryState {
    /// The French label shown in search results and the dashboard.
    pub fn label_fr(self) -> &'static str {
        match self {
            DeliveryState::AwaitingConsultation => "En attente de consultation",
            DeliveryState::InPerson => "Remis à personne",
            DeliveryState::AtHome => "Remis à domicile",
        }
    }

    /// Every state, in the order of the search form.
    pub const ALL: [DeliveryState; 3] = [
        DeliveryState::AwaitingConsultation,
        DeliveryState::InPerson,
        DeliveryState::AtHome,
    ];

    /// A stable code (the API's, the store's and the window's).
    pub fn code(self) -> &'static str {
        match self {
            DeliveryState::AwaitingConsultation => "awaiting_consultation",
            DeliveryState::InPerson => "in_person",
            DeliveryState::AtHome => "at_home",
        }
    }
}

impl std::fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for DeliveryState {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, CoreError> {
        DeliveryState::ALL
            .into_iter()
            .find(|d| d.code() == s)
            .ok_or_else(|| CoreError::UnknownCode {
                what: "delivery_state",
                value: s.to_owned(),
            })
    }
}

/// Where a service came from: typed in the "Signifier un acte" form or imported in a batch from
/// the practice-management software (search criterion "Origine"). One definition for the vault,
/// its API, the local store and the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Typed in the form.
    Form,
    /// Imported from the practice-management software (EDI).
    Edi,
}

impl Source {
    /// Both sources.
    pub const ALL: [Source; 2] = [Source::Form, Source::Edi];

    /// A stable code (the API's, the store's and the window's).
    pub fn code(self) -> &'static str {
        match self {
            Source::Form => "form",
            Source::Edi => "edi",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Source {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, CoreError> {
        Source::ALL
            .into_iter()
            .find(|d| d.code() == s)
            .ok_or_else(|| CoreError::UnknownCode {
                what: "source",
                value: s.to_owned(),
            })
    }
}

/// The four categories of unseen notifications on the office's dashboard (the manual's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NotificationCategory {
    /// Services awaiting consultation by the recipient.
    AwaitingConsultation,
    /// Services delivered "à personne".
    DeliveredInPerson,
    /// Services delivered "à domicile".
    DeliveredAtHome,
    /// Returns of acts awaiting the office's consultation.
    ReturnAwaitingConsultation,
}

impl NotificationCategory {
    /// The four categories in dashboard order.
    pub const ALL: [NotificationCategory; 4] = [
        NotificationCategory::AwaitingConsultation,
        NotificationCategory::DeliveredInPerson,
        NotificationCategory::DeliveredAtHome,
        NotificationCategory::ReturnAwaitingConsultation,
    ];

    /// The category of a service in `state`.
    pub fn of_state(state: DeliveryState) -> Self {
        match state {
            DeliveryState::AwaitingConsultation => NotificationCategory::AwaitingConsultation,
            DeliveryState::InPerson => NotificationCategory::DeliveredInPerson,
            DeliveryState::AtHome => NotificationCategory::DeliveredAtHome,
        }
    }

    /// The dashboard heading, to be preceded by the count (as in the manual).
    pub fn label_fr(self) -> &'static str {
        match self {
            NotificationCategory::AwaitingConsultation => {
                "Significations en attente de consultation"
            }
            NotificationCategory::DeliveredInPerson => {
                "Significations considérées comme remises à personne"
            }
            NotificationCategory::DeliveredAtHome => {
                "Significations considérées comme remises à domicile"
            }
            NotificationCategory::ReturnAwaitingConsultation => {
                "Retours d'acte en attente de consultation"
            }
        }
    }

    /// A stable code.
    pub fn code(self) -> &'static str {
        match self {
            NotificationCategory::AwaitingConsultation => "awaiting_consultation",
            NotificationCategory::DeliveredInPerson => "delivered_in_person",
            NotificationCategory::DeliveredAtHome => "delivered_at_home",
            NotificationCategory::ReturnAwaitingConsultation => "return_awaiting_consultation",
        }
    }
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The state at `now`.
    pub state: DeliveryState,
    /// The rule applied (stated on the delivery attestation).
    pub rule: DeliveryRule,
    /// The instant from which a consultation is late.
    pub deadline: DateTime<Utc>,
    /// When the state became final: the consultation for `InPerson`, the deadline for `AtHome`
    /// (even if the vault decides later, e.g. catching up after downtime); `None` while awaiting.
    pub effective_at: Option<DateTime<Utc>>,
    /// For `AtHome`: the date the plain letter must be sent (see [`letter_date`]).
    pub letter_date: Option<NaiveDate>,
}

/// The plain letter's date for an act sent at `sent_at` and not consulted in time.
///
/// CPC 662-1 asks for the letter "le premier jour ouvrable" following the day of the
/// transmission (the day the recipient did not take cognizance). So it is measured from
/// the Paris calendar day of `sent_at`, not from the deadline's day (which, under the same-day
/// rule, is already the next day and would give one working day too many). It can never precede
/// the day the state is known: if the deadline falls later (24-hour rule across the spring DST
/// change), the first working day on or after the deadline's day is used.
pub fn letter_date(sent_at: DateTime<Utc>, rule: DeliveryRule, calendar: &Calendar) -> NaiveDate {
    letter_date_with(sent_at, rule, &LocalCalendar::from(*calendar), PARIS)
}

/// [`letter_date`] in the governing place's local day and calendar: the day of the
/// transmission is `region`'s, and so are its working days (its own holidays included).
pub fn letter_date_in(sent_at: DateTime<Utc>, rule: DeliveryRule, region: &Region) -> NaiveDate {
    letter_date_with(sent_at, rule, &region.calendar(), region.time_zone())
}

fn letter_date_with(
    sent_at: DateTime<Utc>,
    rule: DeliveryRule,
    calendar: &LocalCalendar,
    tz: Tz,
) -> NaiveDate {
    let sent_day = sent_at.with_timezone(&tz).date_naive();
    let legal = calendar.first_working_day_after(sent_day);
    let known_day = deadline_in(sent_at, rule, tz)
        .with_timezone(&tz)
        .date_naive();
    if legal >= known_day {
        legal
    } else if calendar.is_working_day(known_day) {
        known_day
    } else {
        calendar.first_working_day_after(known_day)
    }
}

/// Decides the delivery state at `now`.
///
/// A consultation strictly before the deadline is "à personne"; one at or after the deadline is
/// late. A consultation time before `sent_at` (clock skew between systems) counts as in time.
pub fn decide(
    sent_at: DateTime<Utc>,
    consulted_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    rule: DeliveryRule,
    calendar: &Calendar,
) -> Decision {
    decided(sent_at, consulted_at, now, rule, PARIS, || {
        letter_date(sent_at, rule, calendar)
    })
}

/// [`decide`] in the governing place (`region`, [`crate::place::governing_place`]): the day of
/// the transmission, the deadline and the letter's date are its local ones.
pub fn decide_in(
    sent_at: DateTime<Utc>,
    consulted_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    rule: DeliveryRule,
    region: &Region,
) -> Decision {
    decided(sent_at, consulted_at, now, rule, region.time_zone(), || {
        letter_date_in(sent_at, rule, region)
    })
}

fn decided(
    sent_at: DateTime<Utc>,
    consulted_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    rule: DeliveryRule,
    tz: Tz,
    letter: impl FnOnce() -> NaiveDate,
) -> Decision {
    let deadline = deadline_in(sent_at, rule, tz);
    let (state, effective_at) = match consulted_at {
        Some(c) if c < deadline => (DeliveryState::InPerson, Some(c)),
        Some(_) => (DeliveryState::AtHome, Some(deadline)),
        None if now >= deadline => (DeliveryState::AtHome, Some(deadline)),
        None => (DeliveryState::AwaitingConsultation, None),
    };
    Decision {
        state,
        rule,
        deadline,
        effective_at,
        letter_date: (state == DeliveryState::AtHome).then(letter),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::Datelike;

    #[test]
    fn every_state_and_source_round_trips_through_its_code_in_serde_fromstr_and_display() {
        for s in DeliveryState::ALL {
            assert_eq!(s.code().parse::<DeliveryState>().unwrap(), s);
            assert_eq!(s.to_string(), s.code());
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.code())
            );
        }
        for s in Source::ALL {
            assert_eq!(s.code().parse::<Source>().unwrap(), s);
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.code())
            );
        }
        let e = "delivered".parse::<DeliveryState>().unwrap_err();
        assert_eq!(e.code(), "core.unknown_code");
        assert!("EDI".parse::<Source>().is_err());
    }

    fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        PARIS
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .earliest()
            .expect("valid")
            .with_timezone(&Utc)
    }
    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid")
    }
    const CAL: Calendar = Calendar::NATIONAL;
    use DeliveryRule::*;
    use DeliveryState::*;

    #[test]
    fn same_day_at_2359_vs_0001() {
        let sent = paris(2026, 6, 2, 10, 0);
        assert_eq!(deadline(sent, SameCalendarDay), paris(2026, 6, 3, 0, 0));
        let late_evening = paris(2026, 6, 2, 23, 59);
        let d = decide(
            sent,
            Some(late_evening),
            late_evening,
            SameCalendarDay,
            &CAL,
        );
        assert_eq!(
            (d.state, d.effective_at, d.letter_date),
            (InPerson, Some(late_evening), None)
        );
        let after_midnight = paris(2026, 6, 3, 0, 1);
        let d = decide(
            sent,
            Some(after_midnight),
            after_midnight,
            SameCalendarDay,
            &CAL,
        );
        assert_eq!(d.state, AtHome);
        assert_eq!(d.effective_at, Some(paris(2026, 6, 3, 0, 0)));
        assert_eq!(d.letter_date, Some(date(2026, 6, 3)));
        // Exactly at the deadline is late.
        let at = paris(2026, 6, 3, 0, 0);
        assert_eq!(
            decide(sent, Some(at), at, SameCalendarDay, &CAL).state,
            AtHome
        );
        assert_eq!(
            decide(
                sent,
                Some(at - Duration::nanoseconds(1)),
                at,
                SameCalendarDay,
                &CAL
            )
            .state,
            InPerson
        );
    }

    #[test]
    fn awaiting_then_at_home_without_consultation() {
        let sent = paris(2026, 6, 2, 20, 55);
        let d = decide(sent, None, paris(2026, 6, 2, 23, 0), SameCalendarDay, &CAL);
        assert_eq!(
            (d.state, d.effective_at, d.letter_date),
            (AwaitingConsultation, None, None)
        );
        assert_eq!(d.state.label_fr(), "En attente de consultation");
        let d = decide(sent, None, paris(2026, 6, 3, 0, 0), SameCalendarDay, &CAL);
        assert_eq!(d.state, AtHome);
        assert_eq!(d.state.label_fr(), "Remis à domicile");
        // The vault was down for three days: the decision is the same, effective at the deadline.
        let later = decide(sent, None, paris(2026, 6, 6, 12, 0), SameCalendarDay, &CAL);
        assert_eq!(later, d);
    }

    #[test]
    fn same_day_across_dst() {
        // Saturday 28 March 2026 (UTC+1); midnight of Sunday 29 is 23:00 UTC on the 28th.
        let sent = paris(2026, 3, 28, 20, 0);
        assert_eq!(
            deadline(sent, SameCalendarDay).to_rfc3339(),
            "2026-03-28T23:00:00+00:00"
        );
        // Sent on the change day itself (judge's permission): its day has 23 hours.
        let sent = paris(2026, 3, 29, 12, 0);
        assert_eq!(
            deadline(sent, SameCalendarDay).to_rfc3339(),
            "2026-03-29T22:00:00+00:00"
        );
        // Autumn: 25 October 2026 has 25 hours; midnight that ends it is 23:00 UTC.
        let sent = paris(2026, 10, 25, 1, 30);
        assert_eq!(
            deadline(sent, SameCalendarDay).to_rfc3339(),
            "2026-10-25T23:00:00+00:00"
        );
    }

    #[test]
    fn rule_of_24_hours() {
        let sent = paris(2026, 6, 2, 20, 0);
        assert_eq!(deadline(sent, Hours24), paris(2026, 6, 3, 20, 0));
        let next_morning = paris(2026, 6, 3, 9, 0);
        assert_eq!(
            decide(sent, Some(next_morning), next_morning, Hours24, &CAL).state,
            InPerson
        );
        assert_eq!(
            decide(
                sent,
                Some(next_morning),
                next_morning,
                SameCalendarDay,
                &CAL
            )
            .state,
            AtHome
        );
        // 24 elapsed hours across the spring change: 20:00 CET Saturday → 21:00 CEST Sunday.
        let sent = paris(2026, 3, 28, 20, 0);
        assert_eq!(deadline(sent, Hours24), paris(2026, 3, 29, 21, 0));
        let d = decide(sent, None, paris(2026, 3, 29, 21, 0), Hours24, &CAL);
        assert_eq!((d.state, d.letter_date), (AtHome, Some(date(2026, 3, 30))));
    }

    #[test]
    fn letter_dates() {
        // Sent Friday 5 June 2026 → Saturday 6 June (Saturday is a working day).
        let d = decide(
            paris(2026, 6, 5, 10, 0),
            None,
            paris(2026, 6, 9, 0, 0),
            SameCalendarDay,
            &CAL,
        );
        assert_eq!(d.letter_date, Some(date(2026, 6, 6)));
        assert_eq!(date(2026, 6, 6).weekday(), chrono::Weekday::Sat);
        // Sent Wednesday 13 May 2026, the eve of Ascension (Thursday 14) → Friday 15 May.
        let d = decide(
            paris(2026, 5, 13, 10, 0),
            None,
            paris(2026, 5, 20, 0, 0),
            SameCalendarDay,
            &CAL,
        );
        assert_eq!(d.letter_date, Some(date(2026, 5, 15)));
        // Sent Saturday 23 May 2026 → Sunday, Whit Monday → Tuesday 26 May.
        let d = decide(
            paris(2026, 5, 23, 10, 0),
            None,
            paris(2026, 5, 30, 0, 0),
            SameCalendarDay,
            &CAL,
        );
        assert_eq!(d.letter_date, Some(date(2026, 5, 26)));
        // 24-hour rule, sent Saturday 28 March 23:30 → deadline Monday 30 March 00:30 CEST.
        let sent = paris(2026, 3, 28, 23, 30);
        assert_eq!(deadline(sent, Hours24), paris(2026, 3, 30, 0, 30));
        assert_eq!(letter_date(sent, Hours24, &CAL), date(2026, 3, 30));
        // Alsace-Moselle: sent Thursday 24 December 2026 → Monday 28 December.
        let am = Calendar {
            alsace_moselle: true,
        };
        assert_eq!(
            letter_date(paris(2026, 12, 24, 9, 0), SameCalendarDay, &am),
            date(2026, 12, 28)
        );
        assert_eq!(
            letter_date(paris(2026, 12, 24, 9, 0), SameCalendarDay, &CAL),
            date(2026, 12, 26)
        );
    }

    #[test]
    fn letter_is_never_before_the_state_is_known() {
        for rule in [SameCalendarDay, Hours24] {
            let mut sent = paris(2026, 1, 1, 0, 7);
            while sent < paris(2027, 1, 1, 0, 0) {
                let dl = deadline(sent, rule);
                assert!(dl > sent);
                if rule == SameCalendarDay {
                    let local = dl.with_timezone(&PARIS);
                    assert_eq!(local.time(), NaiveTime::MIN, "midnight");
                    assert_eq!(
                        local.date_naive().pred_opt(),
                        Some(sent.with_timezone(&PARIS).date_naive())
                    );
                }
                let l = letter_date(sent, rule, &CAL);
                assert!(CAL.is_working_day(l));
                assert!(
                    l >= dl.with_timezone(&PARIS).date_naive(),
                    "{sent} {rule:?}"
                );
                assert!(l > sent.with_timezone(&PARIS).date_naive());
                sent += Duration::minutes(173);
            }
        }
    }

    #[test]
    fn dashboard_categories() {
        assert_eq!(
            NotificationCategory::of_state(AtHome),
            NotificationCategory::DeliveredAtHome
        );
        let mut codes: Vec<_> = NotificationCategory::ALL.iter().map(|c| c.code()).collect();
        codes.dedup();
        assert_eq!(codes.len(), 4);
        assert_eq!(
            NotificationCategory::ReturnAwaitingConsultation.label_fr(),
            "Retours d'acte en attente de consultation"
        );
    }

    #[test]
    fn labels_and_serde() {
        assert_eq!(InPerson.label_fr(), "Remis à personne");
        assert_eq!(DeliveryRule::default(), SameCalendarDay);
        assert!(SameCalendarDay.label_fr().contains("662-1"));
        let json = serde_json::to_string(&Hours24).expect("serialise");
        assert_eq!(
            serde_json::from_str::<DeliveryRule>(&json).expect("parse"),
            Hours24
        );
    }
}
