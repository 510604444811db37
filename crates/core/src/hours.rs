//! Legal hours of service (CPC 664) narrowed by a recipient's reception windows, and the next
//! opening. All reasoning is in the local time of a place — Europe/Paris and the national or
//! Alsace-Moselle calendar for [`service_allowed`] and [`next_opening`], a [`Region`]'s time
//! zone and calendar for [`service_allowed_in`] and [`next_opening_in`] (6:00 and 21:00 are the
//! place's, windows are read in its local time); instants are UTC.
//!
//! Conventions, chosen to be safe for the office:
//! - every interval is half-open `[start, end)`: a service at 21:00:00 is refused (the vault's
//!   clock has sub-second precision, and 21:00:00.3 would already be "after nine");
//! - a judge's permission (CPC 664 "sauf en cas de nécessité et en vertu de la permission du
//!   juge") lifts the 06:00–21:00, Sunday and public-holiday limits; the recipient's own windows
//!   still apply. An empty or blank reference counts as no permission;
//! - DST: when a local boundary falls in the spring gap (02:00–03:00 does not exist), it is moved
//!   to the instant of the change (03:00 local); in the autumn fold (02:00–03:00 happens twice)
//!   a local interval is open during both occurrences: the rule is always "the local time of the
//!   instant is inside the interval", checked pointwise.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, LocalCalendar};
use crate::error::CoreError;
use crate::region::Region;
use crate::PARIS;

/// The local law a check is read in: a time zone and a calendar.
#[derive(Debug, Clone, Copy)]
struct Law {
    tz: Tz,
    calendar: LocalCalendar,
}

impl Law {
    fn paris(calendar: &Calendar) -> Law {
        Law {
            tz: PARIS,
            calendar: (*calendar).into(),
        }
    }

    fn of(region: &Region) -> Law {
        Law {
            tz: region.time_zone(),
            calendar: region.calendar(),
        }
    }
}

/// Start of the legal frame (CPC 664): 06:00 local time (Europe/Paris, or the region's).
pub const LEGAL_START: NaiveTime = match NaiveTime::from_hms_opt(6, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};
/// End of the legal frame (CPC 664): 21:00 local time, excluded.
pub const LEGAL_END: NaiveTime = match NaiveTime::from_hms_opt(21, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// How far ahead [`next_opening`] looks before concluding a rule never opens.
pub const SEARCH_HORIZON_DAYS: i64 = 400;

/// The value [`next_opening`] returns for a rule that never opens within the horizon.
pub const NEVER: DateTime<Utc> = DateTime::<Utc>::MAX_UTC;

/// One reception window: on these weekdays, from `start` (included) to `end` (excluded), Paris time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Days of the week the window applies to.
    pub weekdays: Vec<Weekday>,
    /// Opening time, Europe/Paris, included.
    pub start: NaiveTime,
    /// Closing time, Europe/Paris, excluded; must be after `start` (no window across midnight).
    pub end: NaiveTime,
}

impl Window {
    /// A checked window: at least one weekday and `start < end`.
    pub fn new(
        weekdays: Vec<Weekday>,
        start: NaiveTime,
        end: NaiveTime,
    ) -> Result<Self, CoreError> {
        let w = Window {
            weekdays,
            start,
            end,
        };
        w.validate()?;
        Ok(w)
    }

    /// Checks the window is usable (data read from a file or an API is validated with this).
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.weekdays.is_empty() {
            return Err(CoreError::InvalidWindow {
                reason: "aucun jour de la semaine n'est indiqué".into(),
            });
        }
        if self.start >= self.end {
            return Err(CoreError::InvalidWindow {
                reason: format!(
                    "l'heure de début {} n'est pas avant l'heure de fin {}",
                    hhmm(self.start),
                    hhmm(self.end)
                ),
            });
        }
        Ok(())
    }

    /// Whether the window applies on `weekday`.
    pub fn applies_on(&self, weekday: Weekday) -> bool {
        self.weekdays.contains(&weekday)
    }

    /// Whether the local time `t` on `weekday` falls in the window.
    pub fn contains(&self, weekday: Weekday, t: NaiveTime) -> bool {
        self.applies_on(weekday) && self.start <= t && t < self.end
    }
}

/// A recipient's reception windows for one nature of act (Europe/Paris); empty = no restriction
/// beyond the law.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceptionRule {
    /// The windows; the act may be served when any of them is open.
    pub windows: Vec<Window>,
}

impl ReceptionRule {
    /// Checks every window.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.windows.iter().try_for_each(Window::validate)
    }

    fn restricts(&self) -> bool {
        !self.windows.is_empty()
    }
}

/// Why service is not allowed at a given instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClosedReason {
    /// Before 06:00 local time (CPC 664).
    BeforeSix,
    /// At or after 21:00 local time (CPC 664).
    AfterNine,
    /// A Sunday (CPC 664).
    Sunday,
    /// A public holiday, with its French name (CPC 664).
    PublicHoliday(String),
    /// Outside the recipient's reception windows for this nature of act.
    OutsideRecipientWindow,
}

impl ClosedReason {
    /// A stable code for the API and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            ClosedReason::BeforeSix => "hours.before_six",
            ClosedReason::AfterNine => "hours.after_nine",
            ClosedReason::Sunday => "hours.sunday",
            ClosedReason::PublicHoliday(_) => "hours.public_holiday",
            ClosedReason::OutsideRecipientWindow => "hours.outside_recipient_window",
        }
    }
}

/// The answer when service is refused: why, when it opens next, and the sentence to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closed {
    /// The first rule that forbids service now (legal limits are checked before the recipient's).
    pub reason: ClosedReason,
    /// The next instant service is allowed ([`NEVER`] if none within the horizon).
    pub next_opening: DateTime<Utc>,
    /// The French message for the form, including when service opens next.
    pub message_fr: String,
}

/// Whether an act may be served at `at`, given the recipient's rule for its nature, an optional
/// judge's permission reference and the calendar, in Europe/Paris.
pub fn service_allowed(
    at: DateTime<Utc>,
    rule: Option<&ReceptionRule>,
    judge_permission: Option<&str>,
    calendar: &Calendar,
) -> Result<(), Closed> {
    allowed(at, rule, judge_permission, &Law::paris(calendar))
}

/// [`service_allowed`] in `region`'s local time and calendar: 6:00 and 21:00 are the region's,
/// its public holidays count, the recipient's windows are read in its local time, and the
/// message gives the next opening in its local time ([`Closed::next_opening`] stays UTC;
/// [`Region::local`] gives it with the local offset).
pub fn service_allowed_in(
    at: DateTime<Utc>,
    rule: Option<&ReceptionRule>,
    judge_permission: Option<&str>,
    region: &Region,
) -> Result<(), Closed> {
    allowed(at, rule, judge_permission, &Law::of(region))
}

fn allowed(
    at: DateTime<Utc>,
    rule: Option<&ReceptionRule>,
    judge_permission: Option<&str>,
    law: &Law,
) -> Result<(), Closed> {
    let Some(reason) = closed_reason(at, rule, has_permission(judge_permission), law) else {
        return Ok(());
    };
    let weekday = at.with_timezone(&law.tz).weekday();
    let next = first_opening(at, rule, judge_permission, law).unwrap_or(NEVER);
    let message_fr = closed_message(&reason, weekday, rule, next, law.tz);
    Err(Closed {
        reason,
        next_opening: next,
        message_fr,
    })
}

/// The first rule that forbids service at `at`, if any (legal limits before the recipient's).
fn closed_reason(
    at: DateTime<Utc>,
    rule: Option<&ReceptionRule>,
    permitted: bool,
    law: &Law,
) -> Option<ClosedReason> {
    let local = at.with_timezone(&law.tz).naive_local();
    let (date, time, weekday) = (local.date(), local.time(), local.weekday());
    if !permitted {
        if weekday == Weekday::Sun {
            return Some(ClosedReason::Sunday);
        }
        if let Some(name) = law.calendar.holiday_name(date) {
            return Some(ClosedReason::PublicHoliday(name.to_string()));
        }
        if time < LEGAL_START {
            return Some(ClosedReason::BeforeSix);
        }
        if time >= LEGAL_END {
            return Some(ClosedReason::AfterNine);
        }
    }
    match rule.filter(|r| r.restricts()) {
        Some(r) if !r.windows.iter().any(|w| w.contains(weekday, time)) => {
            Some(ClosedReason::OutsideRecipientWindow)
        }
        _ => None,
    }
}

/// The earliest instant at or after `after` when service is allowed (`after` itself if open now),
/// or [`NEVER`] if none within [`SEARCH_HORIZON_DAYS`].
pub fn next_opening(
    after: DateTime<Utc>,
    rule: Option<&ReceptionRule>,
    judge_permission: Option<&str>,
    calendar: &Calendar,
) -> DateTime<Utc> {
    try_next_opening(after, rule, judge_permission, calendar).unwrap_or(NEVER)
}

/// Like [`next_opening`], with `None` instead of [`NEVER`].
pub fn try_next_opening(
    after: DateTime<Utc>,
    rule: Option<&ReceptionRule>,
    judge_permission: Option<&str>,
    calendar: &Calendar,
) -> Option<DateTime<Utc>> {
    first_opening(after, rule, judge_permission, &Law::paris(calendar))
}

/// [`next_opening`] in `region`'s local time and calendar (DST-exact where the zone has DST).
pub fn next_opening_in(
    after: DateTime<Utc>,
    rule: Option<&ReceptionRule>,
    judge_permission: Option<&str>,
    region: &Region,
) -> DateTime<Utc> {
    try_next_opening_in(after, rule, judge_permission, region).unwrap_or(NEVER)
}

/// Like [`next_opening_in`], with `None` instead of [`NEVER`].
pub fn try_next_opening_in(
    after: DateTime<Utc>,
    rule: Option<&ReceptionRule>,
    judge_permission: Option<&str>,
    region: &Region,
) -> Option<DateTime<Utc>> {
    first_opening(after, rule, judge_permission, &Law::of(region))
}

fn first_opening(
    after: DateTime<Utc>,
    rule: Option<&ReceptionRule>,
    judge_permission: Option<&str>,
    law: &Law,
) -> Option<DateTime<Utc>> {
    let permitted = has_permission(judge_permission);
    if closed_reason(after, rule, permitted, law).is_none() {
        return Some(after);
    }
    // Service opens only where a local interval starts or where the clocks change. A local start
    // maps to one instant, to two in the autumn fold (the interval's local times happen twice),
    // or to the change instant in the spring gap; each candidate is then checked pointwise,
    // which keeps this exact across DST whatever the windows are.
    let mut day = after.with_timezone(&law.tz).date_naive();
    for _ in 0..SEARCH_HORIZON_DAYS {
        let mut candidates: Vec<DateTime<Utc>> =
            open_intervals(day, rule, permitted, &law.calendar)
                .into_iter()
                .flat_map(|(start, _)| start_instants(start, law.tz))
                // In the autumn fold the local time steps back: an interval that started before
                // the change can open again at the change itself.
                .chain(offset_change_in(day, law.tz))
                .filter(|c| *c > after)
                .collect();
        candidates.sort();
        if let Some(open) = candidates
            .into_iter()
            .find(|c| closed_reason(*c, rule, permitted, law).is_none())
        {
            return Some(open);
        }
        day = day.succ_opt()?;
    }
    None
}

/// The open intervals of one local day, in local time, sorted and disjoint.
fn open_intervals(
    day: NaiveDate,
    rule: Option<&ReceptionRule>,
    permitted: bool,
    calendar: &LocalCalendar,
) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let Some(next_midnight) = day.succ_opt().map(|d| d.and_time(NaiveTime::MIN)) else {
        return Vec::new();
    };
    let legal = if permitted {
        (day.and_time(NaiveTime::MIN), next_midnight)
    } else if day.weekday() == Weekday::Sun || calendar.is_public_holiday(day) {
        return Vec::new();
    } else {
        (day.and_time(LEGAL_START), day.and_time(LEGAL_END))
    };
    let mut out: Vec<(NaiveDateTime, NaiveDateTime)> = match rule.filter(|r| r.restricts()) {
        None => vec![legal],
        Some(r) => r
            .windows
            .iter()
            .filter(|w| w.applies_on(day.weekday()) && w.start < w.end)
            .map(|w| {
                (
                    day.and_time(w.start).max(legal.0),
                    day.and_time(w.end).min(legal.1),
                )
            })
            .filter(|(s, e)| s < e)
            .collect(),
    };
    out.sort();
    out
}

/// The instants whose local time in `tz` is `local` (two in the autumn fold), or for a local
/// time in the spring gap, the instant of the change.
fn start_instants(local: NaiveDateTime, tz: Tz) -> Vec<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => vec![t.with_timezone(&Utc)],
        LocalResult::Ambiguous(first, second) => {
            vec![first.with_timezone(&Utc), second.with_timezone(&Utc)]
        }
        LocalResult::None => after_gap(local, tz).into_iter().collect(),
    }
}

/// The instant the UTC offset of `tz` changes during local `day`, if it does (the first
/// instant with the new offset; changes fall on whole seconds).
fn offset_change_in(day: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    let offset = |secs: i64| {
        DateTime::<Utc>::from_timestamp(secs, 0)
            .map(|t| t.with_timezone(&tz).offset().fix().local_minus_utc())
    };
    let first = |d: NaiveDate| {
        start_instants(d.and_time(NaiveTime::MIN), tz)
            .into_iter()
            .next()
    };
    let mut lo = first(day)?.timestamp();
    let mut hi = first(day.succ_opt()?)?.timestamp();
    let before = offset(lo)?;
    if offset(hi)? == before {
        return None;
    }
    // Invariant: offset(lo) == before != offset(hi); whole seconds only.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if offset(mid)? == before {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    DateTime::<Utc>::from_timestamp(hi, 0)
}

/// For a local time inside a DST gap: the instant the clocks jump (first valid local time after).
fn after_gap(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    let floor = local.with_second(0)?.with_nanosecond(0)?;
    (1..=180).find_map(
        |m| match tz.from_local_datetime(&(floor + Duration::minutes(m))) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
            LocalResult::None => None,
        },
    )
}

fn has_permission(judge_permission: Option<&str>) -> bool {
    judge_permission.is_some_and(|p| !p.trim().is_empty())
}

/// `08h00`, the manual's way of writing a time.
pub fn hhmm(t: NaiveTime) -> String {
    format!("{:02}h{:02}", t.hour(), t.minute())
}

fn closed_message(
    reason: &ClosedReason,
    weekday: Weekday,
    rule: Option<&ReceptionRule>,
    next: DateTime<Utc>,
    tz: Tz,
) -> String {
    let first = match reason {
        ClosedReason::BeforeSix => "Aucune signification ne peut être faite avant 6 heures \
            (article 664 du code de procédure civile), sauf permission du juge."
            .to_string(),
        ClosedReason::AfterNine => "Aucune signification ne peut être faite après 21 heures \
            (article 664 du code de procédure civile), sauf permission du juge."
            .to_string(),
        ClosedReason::Sunday => "Aucune signification ne peut être faite un dimanche \
            (article 664 du code de procédure civile), sauf permission du juge."
            .to_string(),
        ClosedReason::PublicHoliday(name) => format!(
            "Aucune signification ne peut être faite un jour férié (aujourd'hui : {name}) \
             (article 664 du code de procédure civile), sauf permission du juge."
        ),
        ClosedReason::OutsideRecipientWindow => {
            let today: Vec<String> = rule
                .map(|r| {
                    r.windows
                        .iter()
                        .filter(|w| w.applies_on(weekday))
                        .map(|w| format!("de {} à {}", hhmm(w.start), hhmm(w.end)))
                        .collect()
                })
                .unwrap_or_default();
            if today.is_empty() {
                "Vous ne pouvez actuellement transmettre de signification, aujourd'hui le \
                 destinataire ne reçoit pas ce type d'acte."
                    .to_string()
            } else {
                format!(
                    "Vous ne pouvez actuellement transmettre de signification, aujourd'hui le \
                     destinataire ne reçoit que ce type d'acte selon les horaires suivants : {}.",
                    today.join(" et ")
                )
            }
        }
    };
    format!(
        "{first} {}",
        crate::reception::next_opening_sentence_in(next, tz)
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use Weekday::*;

    pub(crate) fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        PARIS
            .with_ymd_and_hms(y, mo, d, h, mi, s)
            .earliest()
            .expect("valid Paris time")
            .with_timezone(&Utc)
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid")
    }
    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid")
    }
    fn morning(days: Vec<Weekday>) -> ReceptionRule {
        ReceptionRule {
            windows: vec![Window::new(days, t(8, 0), t(12, 0)).expect("valid")],
        }
    }
    const CAL: Calendar = Calendar::NATIONAL;

    fn reason(
        at: DateTime<Utc>,
        rule: Option<&ReceptionRule>,
        judge: Option<&str>,
    ) -> Option<ClosedReason> {
        service_allowed(at, rule, judge, &CAL)
            .err()
            .map(|c| c.reason)
    }

    #[test]
    fn legal_limits_winter_and_summer() {
        // Tuesday 13 January 2026 (UTC+1) and Tuesday 7 July 2026 (UTC+2).
        for (y, m, d) in [(2026, 1, 13), (2026, 7, 7)] {
            assert_eq!(
                reason(paris(y, m, d, 5, 59, 59), None, None),
                Some(ClosedReason::BeforeSix)
            );
            assert_eq!(reason(paris(y, m, d, 6, 0, 0), None, None), None);
            assert_eq!(reason(paris(y, m, d, 20, 59, 59), None, None), None);
            assert_eq!(
                reason(paris(y, m, d, 21, 0, 0), None, None),
                Some(ClosedReason::AfterNine)
            );
            assert_eq!(
                reason(paris(y, m, d, 23, 30, 0), None, None),
                Some(ClosedReason::AfterNine)
            );
        }
        // The same UTC hour is open in summer and closed in winter: 04:30 UTC.
        assert_eq!(reason(utc(2026, 7, 7, 4, 30), None, None), None);
        assert_eq!(
            reason(utc(2026, 1, 13, 4, 30), None, None),
            Some(ClosedReason::BeforeSix)
        );
        let c =
            service_allowed(paris(2026, 1, 13, 5, 59, 59), None, None, &CAL).expect_err("closed");
        assert_eq!(
            c.message_fr,
            "Aucune signification ne peut être faite avant 6 heures (article 664 du code de \
             procédure civile), sauf permission du juge. Prochaine ouverture : le 13/01/2026 à 06:00."
        );
        assert_eq!(c.next_opening, paris(2026, 1, 13, 6, 0, 0));
        // Saturday is allowed.
        assert_eq!(reason(paris(2026, 3, 28, 10, 0, 0), None, None), None);
    }

    #[test]
    fn sundays_and_holidays() {
        assert_eq!(
            reason(paris(2026, 3, 22, 10, 0, 0), None, None),
            Some(ClosedReason::Sunday)
        );
        assert_eq!(
            reason(paris(2026, 5, 14, 10, 0, 0), None, None),
            Some(ClosedReason::PublicHoliday("Ascension".into()))
        );
        let c =
            service_allowed(paris(2026, 7, 14, 10, 0, 0), None, None, &CAL).expect_err("closed");
        assert!(
            c.message_fr
                .contains("jour férié (aujourd'hui : Fête nationale)"),
            "{}",
            c.message_fr
        );
        assert_eq!(c.next_opening, paris(2026, 7, 15, 6, 0, 0));
        assert_eq!(c.reason.code(), "hours.public_holiday");
    }

    #[test]
    fn judge_permission_lifts_the_law_but_not_the_recipient() {
        let sunday_night = paris(2026, 3, 22, 23, 0, 0);
        assert_eq!(reason(sunday_night, None, Some("ORD-2026-123")), None);
        assert_eq!(
            reason(sunday_night, None, Some("  ")),
            Some(ClosedReason::Sunday)
        );
        let rule = morning(vec![Mon, Tue, Wed, Thu, Fri, Sat, Sun]);
        assert_eq!(
            reason(sunday_night, Some(&rule), Some("ORD-2026-123")),
            Some(ClosedReason::OutsideRecipientWindow)
        );
        assert_eq!(
            reason(paris(2026, 3, 22, 9, 0, 0), Some(&rule), Some("ORD")),
            None
        );
        assert_eq!(
            next_opening(sunday_night, Some(&rule), Some("ORD"), &CAL),
            paris(2026, 3, 23, 8, 0, 0)
        );
    }

    #[test]
    fn recipient_window_message_as_in_the_manual() {
        let rule = morning(vec![Mon, Tue, Wed, Thu, Fri]);
        let c = service_allowed(paris(2026, 6, 2, 14, 0, 0), Some(&rule), None, &CAL)
            .expect_err("closed");
        assert_eq!(c.reason, ClosedReason::OutsideRecipientWindow);
        assert_eq!(
            c.message_fr,
            "Vous ne pouvez actuellement transmettre de signification, aujourd'hui le destinataire \
             ne reçoit que ce type d'acte selon les horaires suivants : de 08h00 à 12h00. \
             Prochaine ouverture : le 03/06/2026 à 08:00."
        );
        assert_eq!(c.next_opening, paris(2026, 6, 3, 8, 0, 0));
        // Saturday: law allows, recipient does not receive on Saturdays.
        let c = service_allowed(paris(2026, 6, 6, 9, 0, 0), Some(&rule), None, &CAL)
            .expect_err("closed");
        assert!(
            c.message_fr.contains("ne reçoit pas ce type d'acte"),
            "{}",
            c.message_fr
        );
        assert_eq!(c.next_opening, paris(2026, 6, 8, 8, 0, 0));
        // Edges of the window.
        assert_eq!(
            reason(paris(2026, 6, 2, 7, 59, 59), Some(&rule), None),
            Some(ClosedReason::OutsideRecipientWindow)
        );
        assert_eq!(reason(paris(2026, 6, 2, 8, 0, 0), Some(&rule), None), None);
        assert_eq!(
            reason(paris(2026, 6, 2, 11, 59, 59), Some(&rule), None),
            None
        );
        assert_eq!(
            reason(paris(2026, 6, 2, 12, 0, 0), Some(&rule), None),
            Some(ClosedReason::OutsideRecipientWindow)
        );
        // An empty rule is no restriction.
        assert_eq!(
            reason(
                paris(2026, 6, 2, 20, 0, 0),
                Some(&ReceptionRule::default()),
                None
            ),
            None
        );
    }

    #[test]
    fn two_windows_listed_and_window_intersected_with_law() {
        let rule = ReceptionRule {
            windows: vec![
                Window::new(vec![Mon], t(8, 0), t(12, 0)).expect("valid"),
                Window::new(vec![Mon], t(14, 0), t(23, 0)).expect("valid"),
            ],
        };
        let c = service_allowed(paris(2026, 6, 1, 13, 0, 0), Some(&rule), None, &CAL)
            .expect_err("closed");
        assert!(
            c.message_fr
                .contains("de 08h00 à 12h00 et de 14h00 à 23h00."),
            "{}",
            c.message_fr
        );
        assert_eq!(c.next_opening, paris(2026, 6, 1, 14, 0, 0));
        // 21:30 is inside the recipient's window but after nine: the law wins, next Monday 08:00.
        let c = service_allowed(paris(2026, 6, 1, 21, 30, 0), Some(&rule), None, &CAL)
            .expect_err("closed");
        assert_eq!(c.reason, ClosedReason::AfterNine);
        assert_eq!(c.next_opening, paris(2026, 6, 8, 8, 0, 0));
    }

    #[test]
    fn next_opening_across_weekend_and_holiday() {
        // Saturday 23 May 2026 at 21:30 → Sunday 24 → Whit Monday 25 → Tuesday 26 at 06:00.
        assert_eq!(
            next_opening(paris(2026, 5, 23, 21, 30, 0), None, None, &CAL),
            paris(2026, 5, 26, 6, 0, 0)
        );
        // Friday 1 May 2026 (holiday) → Saturday 2 May at 06:00.
        assert_eq!(
            next_opening(paris(2026, 5, 1, 3, 0, 0), None, None, &CAL),
            paris(2026, 5, 2, 6, 0, 0)
        );
        // Weekday-only window, Friday afternoon before Easter 2026 → Tuesday 7 April 08:00.
        let rule = morning(vec![Mon, Tue, Wed, Thu, Fri]);
        assert_eq!(
            next_opening(paris(2026, 4, 3, 15, 0, 0), Some(&rule), None, &CAL),
            paris(2026, 4, 7, 8, 0, 0)
        );
        // Open now: returns the same instant.
        let now = paris(2026, 4, 7, 9, 17, 3);
        assert_eq!(next_opening(now, Some(&rule), None, &CAL), now);
    }

    #[test]
    fn never_opening_rule() {
        let rule = morning(vec![Sun]);
        let at = paris(2026, 6, 2, 10, 0, 0);
        assert_eq!(try_next_opening(at, Some(&rule), None, &CAL), None);
        let c = service_allowed(at, Some(&rule), None, &CAL).expect_err("closed");
        assert_eq!(c.next_opening, NEVER);
        assert!(c.message_fr.contains("Aucune ouverture"));
    }

    #[test]
    fn dst_change_days() {
        // 29 March 2026 is a Sunday (clocks 02:00 → 03:00), 25 October 2026 too (03:00 → 02:00).
        assert_eq!(
            reason(paris(2026, 3, 29, 10, 0, 0), None, None),
            Some(ClosedReason::Sunday)
        );
        // Next opening from the Saturday night is Monday 06:00 CEST = 04:00 UTC.
        assert_eq!(
            next_opening(paris(2026, 3, 28, 22, 0, 0), None, None, &CAL),
            utc(2026, 3, 30, 4, 0)
        );
        // Autumn: Monday 26 Oct 06:00 CET = 05:00 UTC.
        assert_eq!(
            next_opening(paris(2026, 10, 24, 22, 0, 0), None, None, &CAL),
            utc(2026, 10, 26, 5, 0)
        );
        // With a judge's permission and a window starting inside the spring gap (02:30 does not
        // exist on 29 March 2026): opens at the change, 03:00 CEST = 01:00 UTC.
        let rule = ReceptionRule {
            windows: vec![Window::new(vec![Sun], t(2, 30), t(4, 0)).expect("valid")],
        };
        let open = next_opening(utc(2026, 3, 28, 23, 0), Some(&rule), Some("ORD"), &CAL);
        assert_eq!(open, utc(2026, 3, 29, 1, 0));
        assert_eq!(reason(open, Some(&rule), Some("ORD")), None);
        assert_eq!(
            reason(open - Duration::seconds(1), Some(&rule), Some("ORD")),
            Some(ClosedReason::OutsideRecipientWindow)
        );
        // Autumn fold: a window 02:00–02:30 on 25 October 2026 covers both occurrences.
        let rule = ReceptionRule {
            windows: vec![Window::new(vec![Sun], t(2, 0), t(2, 30)).expect("valid")],
        };
        assert_eq!(
            reason(utc(2026, 10, 25, 0, 10), Some(&rule), Some("ORD")),
            None,
            "first 02:10"
        );
        assert_eq!(
            reason(utc(2026, 10, 25, 1, 10), Some(&rule), Some("ORD")),
            None,
            "second 02:10"
        );
        assert_eq!(
            next_opening(utc(2026, 10, 24, 20, 0), Some(&rule), Some("ORD"), &CAL),
            utc(2026, 10, 25, 0, 0)
        );
        // A window that starts before the fold and ends inside it (01:00–02:30) is open in the
        // first pass, closed from the first 02:30, and open again at the change (01:00 UTC).
        let early = ReceptionRule {
            windows: vec![Window::new(vec![Sun], t(1, 0), t(2, 30)).expect("valid")],
        };
        assert_eq!(
            next_opening(utc(2026, 10, 25, 0, 45), Some(&early), Some("ORD"), &CAL),
            utc(2026, 10, 25, 1, 0)
        );
        assert_eq!(
            offset_change_in(NaiveDate::from_ymd_opt(2026, 10, 25).expect("valid"), PARIS),
            Some(utc(2026, 10, 25, 1, 0))
        );
        assert_eq!(
            offset_change_in(NaiveDate::from_ymd_opt(2026, 3, 29).expect("valid"), PARIS),
            Some(utc(2026, 3, 29, 1, 0))
        );
        assert_eq!(
            offset_change_in(NaiveDate::from_ymd_opt(2026, 3, 30).expect("valid"), PARIS),
            None
        );
        // From between the two occurrences (00:45 UTC = first 02:45) it is the second 02:00.
        assert_eq!(
            next_opening(utc(2026, 10, 25, 0, 45), Some(&rule), Some("ORD"), &CAL),
            utc(2026, 10, 25, 1, 0)
        );
    }

    #[test]
    fn next_opening_agrees_with_service_allowed() {
        // Property: over a year in 37-minute steps, next_opening(t) is open, is >= t, and every
        // minute boundary between t and it is closed.
        let rules = [
            None,
            Some(morning(vec![Mon, Tue, Wed, Thu, Fri])),
            Some(ReceptionRule {
                windows: vec![
                    Window::new(vec![Sat], t(9, 30), t(10, 0)).expect("valid"),
                    Window::new(vec![Wed, Sun], t(5, 0), t(22, 0)).expect("valid"),
                ],
            }),
        ];
        for rule in &rules {
            let mut at = utc(2026, 1, 1, 0, 0);
            while at < utc(2027, 1, 1, 0, 0) {
                let open = next_opening(at, rule.as_ref(), None, &CAL);
                assert!(open >= at);
                assert!(
                    service_allowed(open, rule.as_ref(), None, &CAL).is_ok(),
                    "{at} → {open}"
                );
                if open > at {
                    let c = service_allowed(at, rule.as_ref(), None, &CAL).expect_err("closed");
                    assert_eq!(c.next_opening, open);
                    let mut probe = at;
                    while probe + Duration::minutes(30) < open {
                        probe += Duration::minutes(30);
                        assert!(
                            service_allowed(probe, rule.as_ref(), None, &CAL).is_err(),
                            "{probe}"
                        );
                    }
                    let just_before = open - Duration::seconds(1);
                    if just_before >= at {
                        assert!(service_allowed(just_before, rule.as_ref(), None, &CAL).is_err());
                    }
                }
                at += Duration::minutes(37 * 7);
            }
        }
    }

    #[test]
    fn next_opening_is_exact_around_dst_changes() {
        // Property: with a judge's permission and windows whose edges fall before, inside and after
        // the gap and the fold, every minute between `at` and its next opening is closed, the
        // opening is open, and one second before it is closed.
        let edges = [
            (0, 30),
            (1, 0),
            (1, 59),
            (2, 0),
            (2, 30),
            (2, 59),
            (3, 0),
            (3, 30),
        ];
        let mut rules = Vec::new();
        for (i, s) in edges.iter().enumerate() {
            for e in edges.iter().skip(i + 1) {
                rules.push(ReceptionRule {
                    windows: vec![Window::new(vec![Sun], t(s.0, s.1), t(e.0, e.1)).expect("valid")],
                });
            }
        }
        for rule in &rules {
            for day_start in [utc(2026, 3, 28, 22, 0), utc(2026, 10, 24, 21, 0)] {
                let mut at = day_start;
                while at < day_start + Duration::hours(6) {
                    let open = next_opening(at, Some(rule), Some("ORD"), &CAL);
                    assert!(open >= at);
                    assert!(service_allowed(open, Some(rule), Some("ORD"), &CAL).is_ok());
                    if open > at {
                        let before = open - Duration::seconds(1);
                        assert!(
                            closed_reason(before, Some(rule), true, &Law::paris(&CAL)).is_some()
                        );
                        let mut probe = at;
                        while probe < open {
                            assert!(
                                closed_reason(probe, Some(rule), true, &Law::paris(&CAL)).is_some(),
                                "{rule:?} {at} → {open}: {probe} is open"
                            );
                            probe += Duration::minutes(1);
                        }
                    }
                    at += Duration::minutes(11);
                }
            }
        }
    }

    #[test]
    fn window_validation() {
        assert_eq!(
            Window::new(vec![Mon], t(12, 0), t(8, 0))
                .expect_err("inverted")
                .code(),
            "hours.invalid_window"
        );
        assert!(Window::new(vec![], t(8, 0), t(12, 0)).is_err());
        let rule = ReceptionRule {
            windows: vec![Window {
                weekdays: vec![Mon],
                start: t(9, 0),
                end: t(9, 0),
            }],
        };
        assert!(rule.validate().is_err());
        let json = serde_json::to_string(&morning(vec![Mon])).expect("serialise");
        let back: ReceptionRule = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, morning(vec![Mon]));
    }
}
