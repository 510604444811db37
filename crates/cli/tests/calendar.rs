//! `sceau calendar holidays|check` end to end: JSON and text, an unknown region, a bad instant.
//! The expected lists are written here by hand from the texts (C. trav. L3133-1, L3134-13,
//! L3422-2), not computed by the code under test.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::process::{Command, Output};

fn sceau(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sceau"))
        .env("XDG_CONFIG_HOME", "/nonexistent-sceau-config")
        .env_remove("SCEAU_CONFIG")
        .args(args)
        .output()
        .unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn list(v: &serde_json::Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["date"].as_str().unwrap().to_owned(),
                h["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(d, n)| ((*d).to_owned(), (*n).to_owned()))
        .collect()
}

#[test]
fn holidays_in_json_for_paris_alsace_and_la_reunion() {
    // 2027: Easter 28 March.
    let national = [
        ("2027-01-01", "Jour de l'an"),
        ("2027-03-29", "Lundi de Pâques"),
        ("2027-05-01", "Fête du Travail"),
        ("2027-05-06", "Ascension"),
        ("2027-05-08", "Victoire 1945"),
        ("2027-05-17", "Lundi de Pentecôte"),
        ("2027-07-14", "Fête nationale"),
        ("2027-08-15", "Assomption"),
        ("2027-11-01", "Toussaint"),
        ("2027-11-11", "Armistice 1918"),
        ("2027-12-25", "Noël"),
    ];
    let o = sceau(&[
        "--json", "calendar", "holidays", "--region", "75", "--year", "2027",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(list(&json(&o)), pairs(&national));

    let mut alsace = national.to_vec();
    alsace.insert(1, ("2027-03-26", "Vendredi saint"));
    alsace.push(("2027-12-26", "Saint-Étienne"));
    let o = sceau(&[
        "calendar", "holidays", "--region", "57", "--year", "2027", "--json",
    ]);
    assert_eq!(list(&json(&o)), pairs(&alsace));

    let mut reunion = national.to_vec();
    reunion.insert(10, ("2027-12-20", "Abolition de l'esclavage"));
    let o = sceau(&[
        "--json", "calendar", "holidays", "--region", "974", "--year", "2027",
    ]);
    assert_eq!(list(&json(&o)), pairs(&reunion));

    // Text: French lines.
    let o = sceau(&["calendar", "holidays", "--region", "972", "--year", "2027"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("01/01/2027 Jour de l'an\n"), "{text}");
    assert!(
        text.contains("22/05/2027 Abolition de l'esclavage\n"),
        "{text}"
    );
    assert!(text.contains("Martinique"), "{text}");
}

#[test]
fn check_in_martinique_and_miquelon() {
    let o = sceau(&[
        "--json",
        "calendar",
        "check",
        "--region",
        "972",
        "--at",
        "2027-01-12T21:30:00-04:00",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(v["allowed"], false);
    assert_eq!(v["time_zone"], "America/Martinique");
    assert_eq!(v["next_opening"], "2027-01-13T06:00:00-04:00");
    assert_eq!(v["reason_code"], "hours.after_nine");
    let reason = v["reason"].as_str().unwrap();
    assert!(reason.contains("après 21 heures"), "{reason}");
    assert!(
        reason.ends_with("Prochaine ouverture : le 13/01/2027 à 06:00."),
        "{reason}"
    );

    // 20:30 local, given in UTC: allowed.
    let o = sceau(&[
        "--json",
        "calendar",
        "check",
        "--region",
        "972",
        "--at",
        "2027-01-13T00:30:00Z",
    ]);
    let v = json(&o);
    assert_eq!(v["allowed"], true);
    assert_eq!(v["reason"], serde_json::Value::Null);
    assert_eq!(v["at"], "2027-01-12T20:30:00-04:00");

    // Saint-Pierre-et-Miquelon, Saturday 13 March 2027 at 21:00 (UTC−3): next opening Monday
    // 15 March at 06:00, summer time (UTC−2).
    let o = sceau(&[
        "--json",
        "calendar",
        "check",
        "--region",
        "975",
        "--at",
        "2027-03-13T21:00:00-03:00",
    ]);
    let v = json(&o);
    assert_eq!(v["allowed"], false);
    assert_eq!(v["time_zone"], "America/Miquelon");
    assert_eq!(v["next_opening"], "2027-03-15T06:00:00-02:00");

    // Text.
    let o = sceau(&[
        "calendar",
        "check",
        "--region",
        "974",
        "--at",
        "2027-12-20T10:00:00+04:00",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("La Réunion (974)"), "{text}");
    assert!(text.contains("signification impossible"), "{text}");
    assert!(text.contains("Abolition de l'esclavage"), "{text}");
}

#[test]
fn unknown_region_and_bad_input_are_clear_errors() {
    for args in [
        &[
            "--json", "calendar", "holidays", "--region", "99", "--year", "2027",
        ][..],
        &[
            "--json",
            "calendar",
            "check",
            "--region",
            "979",
            "--at",
            "2027-01-12T10:00:00Z",
        ][..],
    ] {
        let o = sceau(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let v = json(&o);
        assert_eq!(v["error"]["code"], "hours.unknown_region");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains("n'est pas un code de département"),
            "{stderr}"
        );
    }
    let o = sceau(&["calendar", "check", "--region", "75", "--at", "demain"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("RFC 3339"));
    let o = sceau(&["calendar", "holidays", "--region", "75", "--year", "1900"]);
    assert_eq!(o.status.code(), Some(2));
}
