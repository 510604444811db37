//! The office's choices reach the app: `alsace_moselle = true` in the CLI's configuration closes
//! 26 December (Saint-Étienne), which the national calendar keeps open (the vault's test clock
//! is moved to that day); `signify --certificate SERIAL` picks the signature certificate.

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

/// `sceau signify --certificate SERIAL`: the chosen serial signs; one not on the key is refused
/// before anything is prepared.
#[test]
fn signify_certificate_option_chooses_the_signature_certificate() {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    w.connect();
    // Looked up once online, so that the services below can be prepared offline.
    w.ok(&["recipients", "search", sceau_e2e::BANK_SIRET]);
    let act = w.act("acte.pdf");
    let with_cert = |reference: &str, serial: &str| {
        let mut args = w.signify_args(reference, &act);
        args.insert(1, "--offline".into());
        args.insert(1, serial.into());
        args.insert(1, "--certificate".into());
        args
    };
    let args = with_cert("CERT-X", "0DEADBEEF");
    let (code, json, _) = w.run_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 2, "{json}");
    assert_eq!(json["error"]["code"], "app.certificate_not_found");
    assert!(json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("0DEADBEEF"));
    assert_eq!(w.ok(&["outbox", "list"]).as_array().unwrap().len(), 0);

    let serial = w.office.signature.serial_hex();
    let args = with_cert("CERT-OK", &serial);
    let out = w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out["deposit"].is_null(), "{out}");
    assert_eq!(w.ok(&["outbox", "list"]).as_array().unwrap().len(), 1);
}
