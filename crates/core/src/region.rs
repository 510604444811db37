//! The place whose law governs a service: a département or an overseas collectivité, with its
//! time zone and its calendar (DESIGN.md §4, "Calendar and place").
//!
//! A [`Region`] is named by its code: a metropolitan département (`01`…`95`, `2A`, `2B`; `57`,
//! `67` and `68` are Alsace-Moselle) or an overseas one (`971` Guadeloupe, `972` Martinique,
//! `973` Guyane, `974` La Réunion, `975` Saint-Pierre-et-Miquelon, `976` Mayotte, `977`
//! Saint-Barthélemy, `978` Saint-Martin). It is found from a postal code too (see
//! [`Region::from_postal_code`]). The Pacific collectivités (`98x`) are not served by this
//! platform and are refused.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::calendar::{self, LocalCalendar};
use crate::error::CoreError;

/// A département or overseas collectivité, by its official code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Region {
    /// The code's ASCII bytes, left-aligned; a two-character code ends with a space.
    code: [u8; 3],
}

/// The overseas départements and collectivités: code, French name, time zone, local holidays.
const OVERSEAS: [(&str, &str, Tz, &[calendar::LocalHoliday]); 8] = [
    (
        "971",
        "Guadeloupe",
        Tz::America__Guadeloupe,
        calendar::GUADELOUPE,
    ),
    (
        "972",
        "Martinique",
        Tz::America__Martinique,
        calendar::MARTINIQUE,
    ),
    ("973", "Guyane", Tz::America__Cayenne, calendar::GUYANE),
    (
        "974",
        "La Réunion",
        Tz::Indian__Reunion,
        calendar::LA_REUNION,
    ),
    (
        "975",
        "Saint-Pierre-et-Miquelon",
        Tz::America__Miquelon,
        calendar::SAINT_PIERRE_ET_MIQUELON,
    ),
    ("976", "Mayotte", Tz::Indian__Mayotte, calendar::MAYOTTE),
    (
        "977",
        "Saint-Barthélemy",
        Tz::America__St_Barthelemy,
        calendar::SAINT_BARTHELEMY,
    ),
    (
        "978",
        "Saint-Martin",
        Tz::America__Marigot,
        calendar::SAINT_MARTIN,
    ),
];

impl Region {
    /// Paris (`75`): the place of the national calendar and of Europe/Paris.
    pub const PARIS: Region = Region { code: *b"75 " };

    /// The region of a département or collectivité code (`75`, `2A`, `971`…): surrounding
    /// spaces and the case of `2a`/`2b` are forgiven, anything else is refused.
    pub fn from_code(code: &str) -> Result<Region, CoreError> {
        let c = code.trim().to_ascii_uppercase();
        let known = match c.as_bytes() {
            [b'2', b'A' | b'B'] => true,
            [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
                !matches!(&c[..], "00" | "20" | "96" | "97" | "98" | "99")
            }
            _ => OVERSEAS.iter().any(|(o, ..)| *o == c),
        };
        if !known {
            return Err(CoreError::UnknownRegion {
                code: code.trim().chars().take(20).collect(),
            });
        }
        let mut bytes = *b"   ";
        bytes[..c.len()].copy_from_slice(c.as_bytes());
        Ok(Region { code: bytes })
    }

    /// The region of a French postal code (five digits). The first two digits are the
    /// département's, except: Corsica (`200`/`201` → 2A, `202`/`206` → 2B, other `20xxx` refused),
    /// overseas (`971`…`976` → the first three digits, but `97133` is Saint-Barthélemy and
    /// `97150` Saint-Martin, which kept Guadeloupe's postal range). A postal code names the
    /// distributing office, which is in the commune's département for all but a few border
    /// communes; when the commune's INSEE code is known it is the better source.
    pub fn from_postal_code(postal: &str) -> Result<Region, CoreError> {
        let p = postal.trim();
        let refuse = || CoreError::UnknownPostalCode {
            postal_code: p.chars().take(20).collect(),
        };
        if p.len() != 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        let code = match (&p[..2], &p[..3]) {
            (_, "971") if p == "97133" => "977",
            (_, "971") if p == "97150" => "978",
            ("97", three @ ("971" | "972" | "973" | "974" | "975" | "976")) => three,
            ("97", _) => return Err(refuse()),
            ("20", "200" | "201") => "2A",
            ("20", "202" | "206") => "2B",
            ("20", _) => return Err(refuse()),
            (two, _) => two,
        };
        Region::from_code(code).map_err(|_| refuse())
    }

    /// The code, as written officially (`75`, `2A`, `974`).
    pub fn code(&self) -> &str {
        let len = if self.code[2] == b' ' { 2 } else { 3 };
        std::str::from_utf8(&self.code[..len]).unwrap_or("75")
    }

    fn overseas(
        &self,
    ) -> Option<&'static (
        &'static str,
        &'static str,
        Tz,
        &'static [calendar::LocalHoliday],
    )> {
        OVERSEAS.iter().find(|(c, ..)| *c == self.code())
    }

    /// Whether the local law of Alsace-Moselle applies (Moselle, Bas-Rhin, Haut-Rhin).
    pub fn is_alsace_moselle(&self) -> bool {
        matches!(self.code(), "57" | "67" | "68")
    }

    /// Whether this is an overseas département or collectivité.
    pub fn is_overseas(&self) -> bool {
        self.overseas().is_some()
    }

    /// The French name: the overseas one's name, `Moselle`/`Bas-Rhin`/`Haut-Rhin`, otherwise
    /// `département 75`.
    pub fn name_fr(&self) -> String {
        match (self.overseas(), self.code()) {
            (Some((_, name, ..)), _) => (*name).to_owned(),
            (None, "57") => "Moselle".to_owned(),
            (None, "67") => "Bas-Rhin".to_owned(),
            (None, "68") => "Haut-Rhin".to_owned(),
            (None, code) => format!("département {code}"),
        }
    }

    /// The legal time zone (IANA): Europe/Paris for metropolitan France.
    pub fn time_zone(&self) -> Tz {
        self.overseas().map_or(crate::PARIS, |(_, _, tz, _)| *tz)
    }

    /// The calendar of public holidays in force here.
    pub fn calendar(&self) -> LocalCalendar {
        match self.overseas() {
            Some((_, _, _, local)) => LocalCalendar::with_local_days(local),
            None if self.is_alsace_moselle() => LocalCalendar::ALSACE_MOSELLE,
            None => LocalCalendar::NATIONAL,
        }
    }

    /// `at` in this region's local time.
    pub fn local(&self, at: DateTime<Utc>) -> DateTime<Tz> {
        at.with_timezone(&self.time_zone())
    }
}

impl Default for Region {
    fn default() -> Self {
        Region::PARIS
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Region {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::from_code(s)
    }
}

impl TryFrom<String> for Region {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Region::from_code(&s)
    }
}

impl From<Region> for String {
    fn from(r: Region) -> String {
        r.code().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(code: &str) -> Region {
        Region::from_code(code).expect("known")
    }

    #[test]
    fn codes() {
        assert_eq!(r("01").code(), "01");
        assert_eq!(r(" 2a ").code(), "2A");
        assert_eq!(r("2B").code(), "2B");
        assert_eq!(r("95").code(), "95");
        assert_eq!(r("978").code(), "978");
        for bad in [
            "", "0", "1", "00", "20", "2C", "96", "97", "970", "979", "988", "750", "AB",
        ] {
            let e = Region::from_code(bad).expect_err(bad);
            assert_eq!(e.code(), "hours.unknown_region");
            assert!(e.message_fr().contains("département"), "{}", e.message_fr());
        }
        assert!(r("67").is_alsace_moselle() && !r("54").is_alsace_moselle());
        assert_eq!(r("972").name_fr(), "Martinique");
        assert_eq!(r("68").name_fr(), "Haut-Rhin");
        assert_eq!(r("75").name_fr(), "département 75");
        assert_eq!(Region::default(), Region::PARIS);
        let json = serde_json::to_string(&r("2A")).expect("serialise");
        assert_eq!(json, "\"2A\"");
        assert_eq!(
            serde_json::from_str::<Region>(&json).expect("back"),
            r("2A")
        );
        assert!(serde_json::from_str::<Region>("\"99\"").is_err());
    }

    #[test]
    fn postal_codes() {
        let p = |s: &str| Region::from_postal_code(s).map(|r| r.code().to_owned());
        assert_eq!(p("75008").unwrap(), "75");
        assert_eq!(p("01000").unwrap(), "01");
        assert_eq!(p("67000").unwrap(), "67");
        assert_eq!(p("20000").unwrap(), "2A");
        assert_eq!(p("20137").unwrap(), "2A");
        assert_eq!(p("20200").unwrap(), "2B");
        assert_eq!(p("20600").unwrap(), "2B");
        assert_eq!(p("97110").unwrap(), "971");
        assert_eq!(p("97133").unwrap(), "977");
        assert_eq!(p("97150").unwrap(), "978");
        assert_eq!(p("97200").unwrap(), "972");
        assert_eq!(p("97300").unwrap(), "973");
        assert_eq!(p("97400").unwrap(), "974");
        assert_eq!(p("97500").unwrap(), "975");
        assert_eq!(p("97600").unwrap(), "976");
        for bad in [
            "2000", "750080", "20300", "98000", "97700", "00100", "7500A", "",
        ] {
            assert_eq!(p(bad).expect_err(bad).code(), "hours.unknown_postal_code");
        }
    }

    #[test]
    fn zones() {
        assert_eq!(r("75").time_zone(), chrono_tz::Europe::Paris);
        assert_eq!(r("2B").time_zone(), chrono_tz::Europe::Paris);
        assert_eq!(r("971").time_zone(), chrono_tz::America::Guadeloupe);
        assert_eq!(r("973").time_zone(), chrono_tz::America::Cayenne);
        assert_eq!(r("975").time_zone(), chrono_tz::America::Miquelon);
        assert_eq!(r("976").time_zone(), chrono_tz::Indian::Mayotte);
        assert_eq!(r("977").time_zone(), chrono_tz::America::St_Barthelemy);
        assert_eq!(r("978").time_zone(), chrono_tz::America::Marigot);
    }
}
