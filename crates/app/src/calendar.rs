//! The calendar and legal hours of a place of France, for the faces (`sceau calendar`): its
//! public holidays of a year, and whether an act may be served at an instant in its local time
//! (CPC 664), with the next opening. Pure: no store, no vault, no key — the rules are
//! `sceau-core`'s ([`sceau_core::region`], [`sceau_core::hours::service_allowed_in`]).
//!
//! A recipient's own reception windows are the vault's data: they are not part of this answer.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;

use crate::error::Result;

pub use sceau_core::region::Region;

/// The first and last years [`holidays`] answers for: the calendar is the law in force today
/// (the overseas days of 2012 and Saint-Martin's second day are not back-dated).
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// The region of a département or collectivité code (`75`, `2A`, `971`…`978`).
pub fn region(code: &str) -> Result<Region> {
    Ok(Region::from_code(code)?)
}

/// The region of a postal code (five digits).
pub fn region_of_postal_code(postal_code: &str) -> Result<Region> {
    Ok(Region::from_postal_code(postal_code)?)
}

/// One public holiday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holiday {
    /// Its date.
    pub date: NaiveDate,
    /// Its French name.
    pub name: String,
}

/// The public holidays of `region` in `year`, by date (two names on one date are both listed).
pub fn holidays(region: &Region, year: i32) -> Vec<Holiday> {
    region
        .calendar()
        .public_holidays(year)
        .into_iter()
        .map(|(date, name)| Holiday {
            date,
            name: name.to_owned(),
        })
        .collect()
}

/// Whether an act may be served at an instant in a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoursCheck {
    /// The region's code.
    pub region: String,
    /// Its French name.
    pub region_name: String,
    /// Its time zone (IANA name).
    pub time_zone: String,
    /// The instant checked, in local time (RFC 3339 with the local offset).
    pub at: String,
    /// Whether service is allowed then.
    pub allowed: bool,
    /// Why not (`hours.after_nine`…), when refused.
    pub reason_code: Option<String>,
    /// The French explanation with the next opening in local time, when refused.
    pub reason: Option<String>,
    /// The next instant service is allowed (the instant itself when allowed), in local time
    /// (RFC 3339 with the local offset); none within the search horizon: `None`.
    pub next_opening: Option<String>,
}

fn local_rfc3339(region: &Region, t: DateTime<Utc>) -> String {
    region
        .local(t)
        .to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// CPC 664 at `at` in `region`'s local time and calendar, without a judge's permission.
pub fn check(region: &Region, at: DateTime<Utc>) -> HoursCheck {
    let answer = sceau_core::hours::service_allowed_in(at, None, None, region);
    let (reason_code, reason, next) = match answer {
        Ok(()) => (None, None, Some(at)),
        Err(closed) => (
            Some(closed.reason.code().to_owned()),
            Some(closed.message_fr),
            (closed.next_opening != sceau_core::hours::NEVER).then_some(closed.next_opening),
        ),
    };
    HoursCheck {
        region: region.code().to_owned(),
        region_name: region.name_fr(),
        time_zone: region.time_zone().name().to_owned(),
        at: local_rfc3339(region, at),
        allowed: reason_code.is_none(),
        reason_code,
        reason,
        next_opening: next.map(|t| local_rfc3339(region, t)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn martinique_at_half_past_nine_in_the_evening() {
        let mq = region("972").unwrap();
        let at = DateTime::parse_from_rfc3339("2027-01-12T21:30:00-04:00")
            .unwrap()
            .with_timezone(&Utc);
        let c = check(&mq, at);
        assert!(!c.allowed);
        assert_eq!(c.time_zone, "America/Martinique");
        assert_eq!(c.at, "2027-01-12T21:30:00-04:00");
        assert_eq!(c.next_opening.as_deref(), Some("2027-01-13T06:00:00-04:00"));
        assert_eq!(c.reason_code.as_deref(), Some("hours.after_nine"));
        let open = check(&mq, at - chrono::Duration::hours(1));
        assert!(open.allowed && open.reason.is_none());
        assert_eq!(
            open.next_opening.as_deref(),
            Some("2027-01-12T20:30:00-04:00")
        );
        assert_eq!(region("99").unwrap_err().code(), "hours.unknown_region");
        assert_eq!(holidays(&region("974").unwrap(), 2027).len(), 12);
        assert_eq!(region_of_postal_code("97150").unwrap().code(), "978");
    }
}
