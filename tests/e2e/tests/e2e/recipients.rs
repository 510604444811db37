//! A new recipient from the office with `sceau recipients add`, found afterwards with
//! `sceau recipients search`; the same person again, or a bank's SIRET, is named as existing
//! and not created twice; a bad input is refused before the vault is asked.

use sceau_e2e::{World, BANK_SIRET};

/// A NIR for a woman born in May 1984 in Paris (key computed).
fn nir() -> String {
    let body = "2840575123456";
    let n: u64 = body.parse().unwrap();
    format!("{body}{:02}", 97 - n % 97)
}

fn add_person(courriel: &str, nir: &str) -> Vec<String> {
    [
        "recipients",
        "add",
        "person",
        "--civilite",
        "Mme",
        "--nom",
        "Martin",
        "--prenoms",
        "Claire Marie",
        "--ne-le",
        "1984-05-12",
        "--courriel",
        courriel,
        "--mobile",
        "06 12 34 56 78",
        "--adresse",
        "12 rue de la Paix",
        "--adresse",
        "Bâtiment B",
        "--code-postal",
        "75002",
        "--ville",
        "Paris",
        "--nir",
        nir,
    ]
    .map(str::to_owned)
    .to_vec()
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn a_person_added_from_the_office_is_found_by_search_and_never_created_twice() {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    w.connect();
    let nir = nir();

    let created = w.ok(&args(&add_person("claire.martin@exemple.fr", &nir)));
    assert_eq!(created["kind"], "person", "{created}");
    assert_eq!(created["name"], "MARTIN Claire Marie");
    assert_eq!(created["phone_mobile"], "+33612345678");
    let id = created["id"].as_str().unwrap().to_owned();
    let masked = created["nir_masked"].as_str().unwrap();
    assert!(!masked.contains(&nir[3..]), "{masked}");

    for query in ["martin", nir.as_str()] {
        let found = w.ok(&["recipients", "search", query]);
        let found = found.as_array().unwrap();
        assert!(
            found
                .iter()
                .any(|r| r["id"] == id.as_str() && r["from_cache"] == false),
            "{query}: {found:?}"
        );
    }

    // The same NIR again: the existing card is named, nothing is created.
    let (exit, code, message) = w.fails(&args(&add_person("autre@exemple.fr", &nir)));
    assert_eq!(
        (exit, code.as_str()),
        (2, "app.recipient_duplicate"),
        "{message}"
    );
    assert!(message.contains("MARTIN Claire Marie"), "{message}");
    assert!(!message.contains(&nir), "{message}");
    let found = w.ok(&["recipients", "search", "martin"]);
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");

    // A company whose SIRET the vault knows already (the demo bank).
    let (_, code, message) = w.fails(&[
        "recipients",
        "add",
        "company",
        "--siret",
        BANK_SIRET,
        "--nom",
        "Banque",
        "--courriel",
        "contact@banque.test",
        "--mobile",
        "07 12 34 56 78",
    ]);
    assert_eq!(code, "app.recipient_duplicate");
    assert!(message.contains("BANQUE TEST"), "{message}");

    // A bad e-mail and a NIR with a wrong key: every problem, refused on the workstation.
    let key: u8 = nir[13..].parse().unwrap();
    let wrong = format!("{}{:02}", &nir[..13], key % 97 + 1);
    let (exit, code, message) = w.fails(&args(&add_person("claire@", &wrong)));
    assert_eq!((exit, code.as_str()), (2, "app.recipient_invalid"));
    assert!(message.contains("adresse électronique"), "{message}");
    assert!(message.contains("clé"), "{message}");
}
