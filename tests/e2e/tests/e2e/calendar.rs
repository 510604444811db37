//! The office's calendar setting reaches the reception check: `alsace_moselle = true` in the
//! CLI's configuration closes 26 December (Saint-Étienne), which the national calendar keeps
//! open. The vault's test clock is moved to that day.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

use sceau_e2e::{World, BANK_ID};

/// Seconds from now to 10:00 in Paris on the next 26 December that is not a Sunday.
fn shift_to_saint_etienne() -> i64 {
    let today = Utc::now().date_naive();
    let mut year = today.year();
    let day = loop {
        let d = NaiveDate::from_ymd_opt(year, 12, 26).unwrap();
        if d.weekday() != Weekday::Sun && d > today + Duration::days(1) {
            break d;
        }
        year += 1;
    };
    let at = sceau_core::PARIS
        .from_local_datetime(&day.and_hms_opt(10, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    (at - Utc::now()).num_seconds()
}

fn card(w: &World) -> serde_json::Value {
    w.ok(&[
        "recipients",
        "show",
        BANK_ID,
        "--nature",
        "SAISIE_ATTRIBUTION",
    ])["reception"]
        .clone()
}

#[test]
fn alsace_moselle_in_the_configuration_closes_26_december() {
    let mut w = World::new().unwrap();
    w.shift_vault_clock(shift_to_saint_etienne()).unwrap();
    w.start_vault().unwrap();
    w.connect();
    // National calendar: a Saturday or weekday at 10:00, open.
    let national = card(&w);
    assert_eq!(national["open"], true, "{national}");

    let base = std::fs::read_to_string(&w.cli_config).unwrap();
    std::fs::write(&w.cli_config, format!("{base}alsace_moselle = true\n")).unwrap();
    let local = card(&w);
    assert_eq!(local["open"], false, "{local}");
    assert_eq!(local["reason"], "hours.public_holiday");
    let message = local["message"].as_str().unwrap();
    assert!(message.contains("Saint-Étienne"), "{message}");
    // The next opening is a working day of the Alsace-Moselle calendar, at 06:00 in Paris.
    let next: chrono::DateTime<Utc> = local["next_opening"].as_str().unwrap().parse().unwrap();
    let next_paris = next.with_timezone(&sceau_core::PARIS);
    let cal = sceau_core::calendar::Calendar {
        alsace_moselle: true,
    };
    assert!(cal.is_working_day(next_paris.date_naive()), "{next_paris}");
    assert_eq!(next_paris.format("%H:%M").to_string(), "06:00");
    assert_ne!(next_paris.day(), 26);
}
