//! French public holidays (computed, never listed by hand) and working days (CPC 664, 662-1):
//! the national ones (code du travail L3133-1), Alsace-Moselle's (L3134-13) and each overseas
//! place's ([`LocalCalendar`], chosen by [`crate::region::Region`]).

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// Easter Sunday of the Gregorian `year` (anonymous Gregorian algorithm, Meeus/Butcher).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    // month is 3 or 4 and day 1..=31 by construction; fall back to 1 Jan only for years chrono
    // cannot represent at all.
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or(NaiveDate::MIN)
}

/// The calendar in force for an office or a recipient: national holidays, plus the local law of
/// Alsace-Moselle (Bas-Rhin, Haut-Rhin, Moselle) when set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// Adds Good Friday and 26 December (local law of Alsace-Moselle).
    pub alsace_moselle: bool,
}

impl Calendar {
    /// The calendar of `region` (its overseas days too): see [`LocalCalendar`].
    pub fn for_region(region: &crate::region::Region) -> LocalCalendar {
        region.calendar()
    }

    /// The national calendar (no Alsace-Moselle days).
    pub const NATIONAL: Calendar = Calendar {
        alsace_moselle: false,
    };

    /// The public holidays of `year`, sorted by date, with their French names. Two holidays can
    /// fall on the same date (Ascension was 1 May in 2008): both are listed.
    pub fn public_holidays(&self, year: i32) -> Vec<(NaiveDate, &'static str)> {
        // C. trav. L3133-1: "Les fêtes légales ci-après désignées sont des jours fériés".
        let easter = easter_sunday(year);
        let fixed = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).unwrap_or(NaiveDate::MIN);
        let mut days = vec![
            (fixed(1, 1), "Jour de l'an"),
            (easter + Duration::days(1), "Lundi de Pâques"),
            (fixed(5, 1), "Fête du Travail"),
            (fixed(5, 8), "Victoire 1945"),
            (easter + Duration::days(39), "Ascension"),
            (easter + Duration::days(50), "Lundi de Pentecôte"),
            (fixed(7, 14), "Fête nationale"),
            (fixed(8, 15), "Assomption"),
            (fixed(11, 1), "Toussaint"),
            (fixed(11, 11), "Armistice 1918"),
            (fixed(12, 25), "Noël"),
        ];
        // C. trav. L3134-13: Good Friday "dans les communes ayant un temple protestant ou une
        // église mixte" and 26 December. Good Friday is taken for the three départements whole:
        // a commune's churches are not known here, and refusing is the safe side of CPC 664.
        if self.alsace_moselle {
            days.push((easter - Duration::days(2), "Vendredi saint"));
            days.push((fixed(12, 26), "Saint-Étienne"));
        }
        days.sort_by_key(|(d, _)| *d);
        days
    }

    /// The French name of the public holiday on `date`, if it is one (computed without building
    /// the year's list: this is on the hot path of hour checks).
    pub fn holiday_name(&self, date: NaiveDate) -> Option<&'static str> {
        let fixed = match (date.month(), date.day()) {
            (1, 1) => Some("Jour de l'an"),
            (5, 1) => Some("Fête du Travail"),
            (5, 8) => Some("Victoire 1945"),
            (7, 14) => Some("Fête nationale"),
            (8, 15) => Some("Assomption"),
            (11, 1) => Some("Toussaint"),
            (11, 11) => Some("Armistice 1918"),
            (12, 25) => Some("Noël"),
            (12, 26) if self.alsace_moselle => Some("Saint-Étienne"),
            _ => None,
        };
        if fixed.is_some() || !(3..=6).contains(&date.month()) {
            return fixed;
        }
        match (date - easter_sunday(date.year())).num_days() {
            -2 if self.alsace_moselle => Some("Vendredi saint"),
            1 => Some("Lundi de Pâques"),
            39 => Some("Ascension"),
            50 => Some("Lundi de Pentecôte"),
            _ => None,
        }
    }

    /// Whether `date` is a public holiday in this calendar.
    pub fn is_public_holiday(&self, date: NaiveDate) -> bool {
        self.holiday_name(date).is_some()
    }

    /// Whether `date` is a working day in the CPC 664 / 662-1 sense: every day except Sundays and
    /// public holidays (Saturday is a working day). The rule is [`LocalCalendar`]'s.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        LocalCalendar::from(*self).is_working_day(date)
    }

    /// The first working day strictly after `date` ([`LocalCalendar`]'s rule).
    pub fn first_working_day_after(&self, date: NaiveDate) -> NaiveDate {
        LocalCalendar::from(*self).first_working_day_after(date)
    }
}

/// A public holiday of a place on a fixed day of the year, beside the national ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalHoliday {
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month.
    pub day: u32,
    /// French name.
    pub name: &'static str,
}

const fn abolition(month: u32, day: u32) -> LocalHoliday {
    LocalHoliday {
        month,
        day,
        name: "Abolition de l'esclavage",
    }
}

// The days of the abolition of slavery. Loi n° 83-550 du 30 juin 1983 (article unique) makes the
// commemoration a public holiday overseas; décret n° 83-1003 du 23 novembre 1983, art. 1 (as
// amended by décret n° 2012-553 du 23 avril 2012, which added Saint-Barthélemy and Saint-Martin)
// fixes each date; since loi n° 2016-1088 du 8 août 2016 the list is also article L3422-2 of the
// code du travail ("sont des jours fériés"), which gives the same dates.

/// Guadeloupe: 27 May (décret 83-1003 art. 1; C. trav. L3422-2, 3°).
pub const GUADELOUPE: &[LocalHoliday] = &[abolition(5, 27)];
/// Martinique: 22 May (décret 83-1003 art. 1; C. trav. L3422-2, 2°).
pub const MARTINIQUE: &[LocalHoliday] = &[abolition(5, 22)];
/// Guyane: 10 June (décret 83-1003 art. 1; C. trav. L3422-2, 4°).
pub const GUYANE: &[LocalHoliday] = &[abolition(6, 10)];
/// La Réunion: 20 December (décret 83-1003 art. 1; C. trav. L3422-2, 6°).
pub const LA_REUNION: &[LocalHoliday] = &[abolition(12, 20)];
/// Mayotte: 27 April (décret 83-1003 art. 1 as amended in 2012; C. trav. L3422-2, 1°). The
/// customary feasts L3422-2 mentions for Mayotte (Miradji, Idi-el-Fitri…) are usages of
/// collective agreements, not public holidays of the law: not listed.
pub const MAYOTTE: &[LocalHoliday] = &[abolition(4, 27)];
/// Saint-Barthélemy: 9 October (décret 2012-553 amending décret 83-1003 art. 1; C. trav.
/// L3422-2, 5°).
pub const SAINT_BARTHELEMY: &[LocalHoliday] = &[abolition(10, 9)];
/// Saint-Martin: both 27 and 28 May. Décret 2012-553 fixed 27 May, and article L3422-2, 3° of
/// the code du travail (a law, which a décret cannot change) says 27 May in the version we could
/// read; the collectivité adopted 28 May (délibération of 5 November 2015), the State's circulars
/// of 2018 and 2019 let it be commemorated and treated as the holiday of L3422-2 on 28 May, and
/// local press reports an amendment of décret 83-1003 to 28 May. While the texts may disagree,
/// neither day is a safe day of service (CPC 664): both are holidays here.
pub const SAINT_MARTIN: &[LocalHoliday] = &[abolition(5, 27), abolition(5, 28)];
/// Saint-Pierre-et-Miquelon: no local public holiday (loi 83-550 does not cover it).
pub const SAINT_PIERRE_ET_MIQUELON: &[LocalHoliday] = &[];

/// The calendar of a place ([`crate::region::Region::calendar`]): the national holidays
/// (C. trav. L3133-1), Alsace-Moselle's (C. trav. L3134-13) where they apply, and the place's
/// fixed local days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LocalCalendar {
    base: Calendar,
    local: &'static [LocalHoliday],
}

impl From<Calendar> for LocalCalendar {
    fn from(base: Calendar) -> Self {
        LocalCalendar { base, local: &[] }
    }
}

impl LocalCalendar {
    /// Metropolitan France outside Alsace-Moselle.
    pub const NATIONAL: LocalCalendar = LocalCalendar {
        base: Calendar::NATIONAL,
        local: &[],
    };
    /// Moselle, Bas-Rhin, Haut-Rhin.
    pub const ALSACE_MOSELLE: LocalCalendar = LocalCalendar {
        base: Calendar {
            alsace_moselle: true,
        },
        local: &[],
    };

    /// The national calendar plus `local` days.
    pub const fn with_local_days(local: &'static [LocalHoliday]) -> LocalCalendar {
        LocalCalendar {
            base: Calendar::NATIONAL,
            local,
        }
    }

    /// Whether Good Friday and 26 December are holidays here.
    pub fn alsace_moselle(&self) -> bool {
        self.base.alsace_moselle
    }

    /// The place's own fixed days.
    pub fn local_days(&self) -> &'static [LocalHoliday] {
        self.local
    }

    /// The public holidays of `year`, sorted by date (the national one first when a local day
    /// falls on it), with their French names.
    pub fn public_holidays(&self, year: i32) -> Vec<(NaiveDate, &'static str)> {
        let mut days = self.base.public_holidays(year);
        days.extend(
            self.local
                .iter()
                .filter_map(|h| NaiveDate::from_ymd_opt(year, h.month, h.day).map(|d| (d, h.name))),
        );
        days.sort_by_key(|(d, _)| *d);
        days
    }

    /// The French name of the public holiday on `date`, if it is one.
    pub fn holiday_name(&self, date: NaiveDate) -> Option<&'static str> {
        self.base.holiday_name(date).or_else(|| {
            self.local
                .iter()
                .find(|h| h.month == date.month() && h.day == date.day())
                .map(|h| h.name)
        })
    }

    /// Whether `date` is a public holiday here.
    pub fn is_public_holiday(&self, date: NaiveDate) -> bool {
        self.holiday_name(date).is_some()
    }

    /// Whether `date` is a working day (every day but Sundays and public holidays).
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        date.weekday() != Weekday::Sun && !self.is_public_holiday(date)
    }

    /// The first working day strictly after `date`.
    pub fn first_working_day_after(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        // At most a Sunday followed by two holidays (e.g. 25–26 Dec in Alsace-Moselle) in a row:
        // the bound is generous and only guards against a date at the end of chrono's range.
        for _ in 0..14 {
            match d.succ_opt() {
                Some(next) => d = next,
                None => return d,
            }
            if self.is_working_day(d) {
                return d;
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    #[test]
    fn easter_known_dates() {
        let known = [
            (1818, 3, 22),
            (1943, 4, 25),
            (2000, 4, 23),
            (2008, 3, 23),
            (2013, 3, 31),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2030, 4, 21),
            (2038, 4, 25),
            (2285, 3, 22),
        ];
        for (y, m, day) in known {
            assert_eq!(easter_sunday(y), d(y, m, day), "Easter {y}");
        }
    }

    #[test]
    fn easter_is_always_a_sunday_between_22_march_and_25_april() {
        for y in 1583..=3000 {
            let e = easter_sunday(y);
            assert_eq!(e.weekday(), Weekday::Sun, "{y}");
            assert!(e >= d(y, 3, 22) && e <= d(y, 4, 25), "{y}: {e}");
        }
    }

    #[test]
    fn holidays_2024_2025_2026() {
        let cal = Calendar::NATIONAL;
        let h2024: Vec<NaiveDate> = cal.public_holidays(2024).into_iter().map(|x| x.0).collect();
        assert_eq!(
            h2024,
            vec![
                d(2024, 1, 1),
                d(2024, 4, 1),
                d(2024, 5, 1),
                d(2024, 5, 8),
                d(2024, 5, 9),
                d(2024, 5, 20),
                d(2024, 7, 14),
                d(2024, 8, 15),
                d(2024, 11, 1),
                d(2024, 11, 11),
                d(2024, 12, 25),
            ]
        );
        assert_eq!(cal.holiday_name(d(2025, 4, 21)), Some("Lundi de Pâques"));
        assert_eq!(cal.holiday_name(d(2025, 5, 29)), Some("Ascension"));
        assert_eq!(cal.holiday_name(d(2025, 6, 9)), Some("Lundi de Pentecôte"));
        assert_eq!(cal.holiday_name(d(2026, 4, 6)), Some("Lundi de Pâques"));
        assert_eq!(cal.holiday_name(d(2026, 5, 14)), Some("Ascension"));
        assert_eq!(cal.holiday_name(d(2026, 5, 25)), Some("Lundi de Pentecôte"));
        assert_eq!(cal.holiday_name(d(2038, 6, 3)), Some("Ascension"));
        assert_eq!(cal.holiday_name(d(2038, 6, 14)), Some("Lundi de Pentecôte"));
        assert_eq!(cal.holiday_name(d(2026, 12, 26)), None);
        // Ascension on 1 May 2008: both listed, the date is a holiday once.
        let may1 = cal
            .public_holidays(2008)
            .into_iter()
            .filter(|(day, _)| *day == d(2008, 5, 1))
            .count();
        assert_eq!(may1, 2);
        assert!(cal.is_public_holiday(d(2008, 5, 1)));
        assert_eq!(cal.holiday_name(d(2026, 4, 3)), None);
        for y in 2000..2100 {
            assert_eq!(cal.public_holidays(y).len(), 11);
        }
    }

    #[test]
    fn holiday_name_agrees_with_the_list() {
        for cal in [
            Calendar::NATIONAL,
            Calendar {
                alsace_moselle: true,
            },
        ] {
            for y in 1900..2200 {
                let list = cal.public_holidays(y);
                let mut day = d(y, 1, 1);
                while day.year() == y {
                    let expected = list.iter().find(|(x, _)| *x == day).map(|(_, n)| *n);
                    assert_eq!(cal.holiday_name(day), expected, "{day}");
                    day = day.succ_opt().expect("in range");
                }
            }
        }
    }

    #[test]
    fn alsace_moselle_extras() {
        let cal = Calendar {
            alsace_moselle: true,
        };
        assert_eq!(cal.holiday_name(d(2026, 4, 3)), Some("Vendredi saint"));
        assert_eq!(cal.holiday_name(d(2024, 3, 29)), Some("Vendredi saint"));
        assert_eq!(cal.holiday_name(d(2026, 12, 26)), Some("Saint-Étienne"));
        assert_eq!(cal.public_holidays(2026).len(), 13);
        let all = cal.public_holidays(2026);
        assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "sorted");
    }

    #[test]
    fn working_days() {
        let cal = Calendar::NATIONAL;
        assert!(cal.is_working_day(d(2026, 3, 28)), "Saturday counts");
        assert!(!cal.is_working_day(d(2026, 3, 29)), "Sunday");
        assert!(!cal.is_working_day(d(2026, 5, 1)), "1 May");
        assert!(cal.is_working_day(d(2026, 5, 4)));
        // Friday 13 Nov 2026 → Saturday 14.
        assert_eq!(
            cal.first_working_day_after(d(2026, 11, 13)),
            d(2026, 11, 14)
        );
        // Saturday 31 Oct 2026 → Sunday 1 Nov (Toussaint, Sunday) → Monday 2.
        assert_eq!(cal.first_working_day_after(d(2026, 10, 31)), d(2026, 11, 2));
        // Saturday 4 April 2026 → Easter Sunday, Easter Monday → Tuesday 7.
        assert_eq!(cal.first_working_day_after(d(2026, 4, 4)), d(2026, 4, 7));
        // Christmas in Alsace-Moselle: Thursday 24 Dec 2026 → 25, 26 holidays, 27 Sunday → 28.
        let am = Calendar {
            alsace_moselle: true,
        };
        assert_eq!(am.first_working_day_after(d(2026, 12, 24)), d(2026, 12, 28));
        assert_eq!(
            Calendar::NATIONAL.first_working_day_after(d(2026, 12, 24)),
            d(2026, 12, 26)
        );
        // Strictly after, even when the day itself is working.
        assert_eq!(cal.first_working_day_after(d(2026, 6, 2)), d(2026, 6, 3));
    }

    #[test]
    fn first_working_day_after_is_minimal_over_years() {
        for cal in [
            Calendar::NATIONAL,
            Calendar {
                alsace_moselle: true,
            },
        ] {
            let mut day = d(2020, 1, 1);
            while day < d(2031, 1, 1) {
                let next = cal.first_working_day_after(day);
                assert!(next > day && cal.is_working_day(next));
                let mut between = day.succ_opt().expect("in range");
                while between < next {
                    assert!(!cal.is_working_day(between));
                    between = between.succ_opt().expect("in range");
                }
                day = day.succ_opt().expect("in range");
            }
        }
    }
}
