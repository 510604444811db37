//! Held-out public holidays of every place of France, 2020–2040, written by hand from the texts
//! (code du travail L3133-1 for the national days, L3134-13 for Alsace-Moselle, loi 83-550 and
//! décret 83-1003 as amended / L3422-2 for the abolition of slavery) and compared with the
//! calendar for every day of every year. Easter is a literal table (checked against a second,
//! unrelated implementation), never the crate's computus.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use sceau_core::calendar::Calendar;
use sceau_core::region::Region;

/// Easter Sunday, 2020–2040 (month, day).
const EASTER: [(i32, u32, u32); 21] = [
    (2020, 4, 12),
    (2021, 4, 4),
    (2022, 4, 17),
    (2023, 4, 9),
    (2024, 3, 31),
    (2025, 4, 20),
    (2026, 4, 5),
    (2027, 3, 28),
    (2028, 4, 16),
    (2029, 4, 1),
    (2030, 4, 21),
    (2031, 4, 13),
    (2032, 3, 28),
    (2033, 4, 17),
    (2034, 4, 9),
    (2035, 3, 25),
    (2036, 4, 13),
    (2037, 4, 5),
    (2038, 4, 25),
    (2039, 4, 10),
    (2040, 4, 1),
];

/// C. trav. L3133-1, fixed days.
const NATIONAL_FIXED: [(u32, u32, &str); 8] = [
    (1, 1, "Jour de l'an"),
    (5, 1, "Fête du Travail"),
    (5, 8, "Victoire 1945"),
    (7, 14, "Fête nationale"),
    (8, 15, "Assomption"),
    (11, 1, "Toussaint"),
    (11, 11, "Armistice 1918"),
    (12, 25, "Noël"),
];

/// The abolition of slavery, by place (décret 83-1003 art. 1 as amended; C. trav. L3422-2).
/// Saint-Martin: 27 May (L3422-2, décret 2012-553) and 28 May (the collectivité's date).
const ABOLITION: [(&str, &[(u32, u32)]); 8] = [
    ("971", &[(5, 27)]),
    ("972", &[(5, 22)]),
    ("973", &[(6, 10)]),
    ("974", &[(12, 20)]),
    ("975", &[]),
    ("976", &[(4, 27)]),
    ("977", &[(10, 9)]),
    ("978", &[(5, 27), (5, 28)]),
];

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

/// Every holiday of `code` in `year`, by date (several names when two fall together).
fn expected(code: &str, year: i32) -> BTreeMap<NaiveDate, Vec<&'static str>> {
    let (_, m, day) = EASTER.iter().find(|(y, ..)| *y == year).expect("in table");
    let easter = d(year, *m, *day);
    let mut out: BTreeMap<NaiveDate, Vec<&'static str>> = BTreeMap::new();
    let mut add = |date: NaiveDate, name: &'static str| out.entry(date).or_default().push(name);
    for (m, day, name) in NATIONAL_FIXED {
        add(d(year, m, day), name);
    }
    add(easter + Duration::days(1), "Lundi de Pâques");
    add(easter + Duration::days(39), "Ascension");
    add(easter + Duration::days(50), "Lundi de Pentecôte");
    if ["57", "67", "68"].contains(&code) {
        add(easter - Duration::days(2), "Vendredi saint");
        add(d(year, 12, 26), "Saint-Étienne");
    }
    if let Some((_, days)) = ABOLITION.iter().find(|(c, _)| *c == code) {
        for (m, day) in *days {
            add(d(year, *m, *day), "Abolition de l'esclavage");
        }
    }
    out
}

fn every_code() -> Vec<String> {
    let mut codes: Vec<String> = (1..=95)
        .filter(|n| *n != 20)
        .map(|n| format!("{n:02}"))
        .collect();
    codes.extend(["2A", "2B"].map(String::from));
    codes.extend(ABOLITION.iter().map(|(c, _)| (*c).to_owned()));
    codes
}

#[test]
fn every_day_of_every_region_from_2020_to_2040() {
    for code in every_code() {
        let region = Region::from_code(&code).expect("known code");
        let cal = region.calendar();
        for year in 2020..=2040 {
            let want = expected(&code, year);
            // The listing: same dates, same names, sorted.
            let listed = cal.public_holidays(year);
            let flat: Vec<(NaiveDate, &str)> = want
                .iter()
                .flat_map(|(date, names)| names.iter().map(move |n| (*date, *n)))
                .collect();
            let mut sorted_listed = listed.clone();
            sorted_listed.sort();
            let mut sorted_flat = flat.clone();
            sorted_flat.sort();
            assert_eq!(sorted_listed, sorted_flat, "{code} {year}");
            assert!(listed.windows(2).all(|w| w[0].0 <= w[1].0), "{code} {year}");
            // Every day: holiday or not, its name, working day or not.
            let mut day = d(year, 1, 1);
            while day.year() == year {
                let names = want.get(&day);
                match (cal.holiday_name(day), names) {
                    (None, None) => {}
                    (Some(n), Some(names)) => assert!(names.contains(&n), "{code} {day}: {n}"),
                    (got, want) => panic!("{code} {day}: got {got:?}, want {want:?}"),
                }
                let working = day.weekday() != Weekday::Sun && names.is_none();
                assert_eq!(cal.is_working_day(day), working, "{code} {day}");
                day = day.succ_opt().unwrap();
            }
        }
    }
}

#[test]
fn first_working_day_after_in_every_region() {
    for code in every_code() {
        let cal = Region::from_code(&code).unwrap().calendar();
        let holidays: std::collections::BTreeSet<NaiveDate> = (2020..=2040)
            .flat_map(|y| expected(&code, y).into_keys())
            .collect();
        let mut day = d(2020, 1, 1);
        // Up to mid-December 2040: the answer stays inside the table's years.
        while day < d(2040, 12, 15) {
            let next = cal.first_working_day_after(day);
            let mut want = day.succ_opt().unwrap();
            while want.weekday() == Weekday::Sun || holidays.contains(&want) {
                want = want.succ_opt().unwrap();
            }
            assert_eq!(next, want, "{code} {day}");
            day = day.succ_opt().unwrap();
        }
    }
}

#[test]
fn the_old_calendar_is_the_metropolitan_one() {
    let national = Calendar::NATIONAL;
    let alsace = Calendar {
        alsace_moselle: true,
    };
    for year in 2020..=2040 {
        assert_eq!(
            national.public_holidays(year),
            Region::from_code("75")
                .unwrap()
                .calendar()
                .public_holidays(year)
        );
        assert_eq!(
            alsace.public_holidays(year),
            Calendar::for_region(&Region::from_code("67").unwrap()).public_holidays(year)
        );
    }
}

#[test]
fn known_days_by_name() {
    let name = |code: &str, y, m, day| {
        Region::from_code(code)
            .unwrap()
            .calendar()
            .holiday_name(d(y, m, day))
    };
    let abolition = Some("Abolition de l'esclavage");
    assert_eq!(name("971", 2027, 5, 27), abolition);
    assert_eq!(name("972", 2027, 5, 22), abolition);
    assert_eq!(name("972", 2027, 5, 27), None);
    assert_eq!(name("973", 2027, 6, 10), abolition);
    assert_eq!(name("974", 2027, 12, 20), abolition);
    assert_eq!(name("976", 2027, 4, 27), abolition);
    assert_eq!(name("977", 2027, 10, 9), abolition);
    assert_eq!(name("978", 2027, 5, 28), abolition);
    assert_eq!(name("975", 2027, 5, 27), None);
    assert_eq!(name("75", 2027, 12, 20), None);
    assert_eq!(name("57", 2027, 12, 26), Some("Saint-Étienne"));
    assert_eq!(name("57", 2027, 3, 26), Some("Vendredi saint"));
    assert_eq!(name("974", 2027, 12, 26), None);
    // A local day on a national one: both listed, the national name given for the day.
    let listed = Region::from_code("973")
        .unwrap()
        .calendar()
        .public_holidays(2030);
    // Guyane 2030: Easter 21 April → Whit Monday 10 June, the day of the abolition too.
    assert_eq!(
        listed
            .iter()
            .filter(|(day, _)| *day == d(2030, 6, 10))
            .count(),
        2
    );
    assert_eq!(name("973", 2030, 6, 10), Some("Lundi de Pentecôte"));
}
