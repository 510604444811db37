//! Sceau's pure core: the domain types and rules of electronic service of legal acts.
//!
//! No I/O and no clock reads: every function that depends on time takes it as a parameter, so the
//! vault, the workstation and the tests share exactly the same rules (DESIGN.md §4, §5).

pub mod attestation;
pub mod calendar;
pub mod consent;
pub mod delivery;
pub mod draft;
pub mod error;
pub mod evidence;
pub mod flow;
pub mod hours;
pub mod ids;
pub mod naming;
pub mod natures;
pub mod package;
pub mod place;
pub mod platform;
pub mod reception;
pub mod recipient;
pub mod region;
mod xml;

pub use error::CoreError;

/// The legal time zone: times are stored in UTC and shown and reasoned about in Europe/Paris.
pub const PARIS: chrono_tz::Tz = chrono_tz::Europe::Paris;

/// The first instant of calendar day `d` in Paris (midnight exists every day there: the clocks
/// change at 02:00 and 03:00).
pub fn paris_day_start(d: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    d.and_hms_opt(0, 0, 0)
        .and_then(|t| PARIS.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default()
}
