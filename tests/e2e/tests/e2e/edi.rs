//! EDI batches from the CLI: a manifest and its files, checked whole before anything is
//! signed, signed with one PIN, queued and deposited once each.

use std::path::PathBuf;

use sceau_e2e::{World, BANK_SIRET, PERMISSION};

/// A batch folder `lot/` with `n` acts and its manifest; `extra` lines are appended as written.
fn batch(w: &World, n: usize, extra: &[&str]) -> PathBuf {
    let dir = w.dir.path().join("lot");
    std::fs::create_dir_all(dir.join("actes")).unwrap();
    let mut csv =
        String::from("reference;destinataire;nature;requerant;fichiers;autorisation_juge\n");
    for i in 1..=n {
        let act = w.act(&format!("edi{i}.pdf"));
        std::fs::rename(&act, dir.join(format!("actes/edi{i}.pdf"))).unwrap();
        csv.push_str(&format!(
            "EDI-{i};{BANK_SIRET};SAISIE_ATTRIBUTION;SA CREANCIER {i};actes/edi{i}.pdf;{PERMISSION}\n"
        ));
    }
    for l in extra {
        csv.push_str(l);
        csv.push('\n');
    }
    let manifest = dir.join("lot.csv");
    std::fs::write(&manifest, csv).unwrap();
    manifest
}

/// The references the vault holds, sorted (a reference twice would show twice).
fn vault_references(w: &World) -> Vec<String> {
    let mut refs: Vec<String> = w
        .vault_services()
        .results
        .into_iter()
        .map(|s| s.reference)
        .collect();
    refs.sort();
    refs
}

fn expected(n: usize) -> Vec<String> {
    let mut v: Vec<String> = (1..=n).map(|i| format!("EDI-{i}")).collect();
    v.sort();
    v
}

#[test]
fn a_batch_of_five_lines_is_deposited_exactly_once_each_with_source_edi() {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    w.connect();
    let manifest = batch(&w, 5, &[]);
    let report = w.ok(&["edi", "import", manifest.to_str().unwrap()]);
    assert_eq!(report["lines"], 5, "{report}");
    assert_eq!(report["prepared"].as_array().unwrap().len(), 5, "{report}");
    assert_eq!(
        report["outbox"]["sent"].as_array().unwrap().len(),
        5,
        "{report}"
    );
    assert_eq!(vault_references(&w), expected(5));
    for s in w.vault_services().results {
        assert_eq!(s.source, sceau_proto::Source::Edi, "{}", s.reference);
    }
    // Locally: five EDI services, none from the form; the search filters by source.
    let edi = w.ok(&["search", "--source", "edi"]);
    let results = edi["results"].as_array().unwrap();
    assert_eq!(results.len(), 5, "{edi}");
    assert!(results.iter().all(|r| r["source"] == "edi"));
    assert!(results
        .iter()
        .all(|r| r["state"] == "awaiting_consultation"));
    let form = w.ok(&["search", "--source", "form"]);
    assert_eq!(form["results"].as_array().unwrap().len(), 0);
    // The same batch again deposits nothing new.
    let again = w.ok(&["edi", "import", manifest.to_str().unwrap()]);
    assert_eq!(again["prepared"].as_array().unwrap().len(), 0, "{again}");
    assert_eq!(again["already_prepared"].as_array().unwrap().len(), 5);
    assert_eq!(vault_references(&w), expected(5));
}

#[test]
fn a_batch_with_bad_lines_signs_nothing_and_names_each_line() {
    let mut w = World::new().unwrap();
    w.company_without_consent("SOCIETE SANS CONSENTEMENT", "35600000000048")
        .unwrap();
    w.start_vault().unwrap();
    w.connect();
    std::fs::write(w.dir.path().join("secret.pdf"), b"%PDF-1.4\n").unwrap();
    std::fs::create_dir_all(w.dir.path().join("lot/actes")).unwrap();
    std::fs::write(w.dir.path().join("lot/actes/note.txt"), b"pas un acte").unwrap();
    let manifest = batch(
        &w,
        3,
        &[
            // line 5: a file that is not there
            &format!("EDI-4;{BANK_SIRET};SAISIE_ATTRIBUTION;SA;actes/absent.pdf;{PERMISSION}"),
            // line 6: escapes the batch folder
            &format!("EDI-5;{BANK_SIRET};SAISIE_ATTRIBUTION;SA;../secret.pdf;{PERMISSION}"),
            // line 7: same reference as line 2
            &format!("EDI-1;{BANK_SIRET};SAISIE_ATTRIBUTION;SA;actes/edi1.pdf;{PERMISSION}"),
            // line 8: unknown nature, and a text file
            &format!("EDI-8;{BANK_SIRET};PAS_UNE_NATURE;SA;actes/note.txt;{PERMISSION}"),
            // line 9: a recipient the vault does not know
            &format!("EDI-9;11111111111111;SAISIE_ATTRIBUTION;SA;actes/edi2.pdf;{PERMISSION}"),
            // line 10: a recipient without consent
            &format!("EDI-10;35600000000048;SAISIE_ATTRIBUTION;SA;actes/edi3.pdf;{PERMISSION}"),
        ],
    );
    let (code, err, msg) = w.fails(&["edi", "import", manifest.to_str().unwrap()]);
    assert_eq!((code, err.as_str()), (2, "app.edi_invalid"), "{msg}");
    assert!(msg.contains("aucun acte n'a été signé"), "{msg}");
    for (line, what) in [
        (5, "introuvable"),
        (6, "sort du dossier"),
        (7, "ligne 2"),
        (8, "nature d'acte inconnue"),
        (8, "n'est pas un document accepté"),
        (9, "Ligne 9"),
        (10, "n'a pas consenti"),
    ] {
        let text = msg
            .lines()
            .filter(|l| l.starts_with(&format!("Ligne {line} ")))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            text.contains(what),
            "line {line} should say {what:?}: {msg}"
        );
    }
    // Lines 2 to 4 are fine and are not reported.
    assert!(!msg.contains("Ligne 2 "), "{msg}");
    // Nothing signed, queued or deposited.
    assert_eq!(w.ok(&["outbox", "list"]).as_array().unwrap().len(), 0);
    assert_eq!(w.ok(&["search"])["results"].as_array().unwrap().len(), 0);
    let packages = std::fs::read_dir(w.data_dir.join("outbox"))
        .unwrap()
        .count();
    assert_eq!(packages, 0);
    assert!(vault_references(&w).is_empty());
}

#[test]
fn sigkill_mid_batch_then_rerun_deposits_each_line_once() {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    w.connect();
    let manifest = batch(&w, 5, &[]);
    let args: Vec<String> = vec![
        "--json".into(),
        "edi".into(),
        "import".into(),
        manifest.to_string_lossy().into_owned(),
    ];
    // Killed once its first chunk (four lines) is queued, before any upload.
    w.paused_at(&args, "queued").kill();
    let list = w.ok(&["outbox", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 4, "{list}");
    assert!(vault_references(&w).is_empty());

    let report = w.ok(&["edi", "import", manifest.to_str().unwrap()]);
    assert_eq!(
        report["already_prepared"].as_array().unwrap().len(),
        4,
        "{report}"
    );
    assert_eq!(report["prepared"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(
        report["outbox"]["sent"].as_array().unwrap().len(),
        5,
        "{report}"
    );
    assert_eq!(vault_references(&w), expected(5));
    let edi = w.ok(&["search", "--source", "edi"]);
    assert_eq!(edi["results"].as_array().unwrap().len(), 5);
}

#[test]
fn an_offline_batch_waits_in_the_outbox_and_is_then_deposited_once() {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    w.connect();
    // Offline, recipients come from the local cache: look the bank up once online.
    w.ok(&["recipients", "search", BANK_SIRET]);
    w.stop_vault();
    let manifest = batch(&w, 3, &[]);
    let report = w.ok(&["edi", "import", "--offline", manifest.to_str().unwrap()]);
    assert_eq!(report["prepared"].as_array().unwrap().len(), 3, "{report}");
    assert!(report["outbox"].is_null(), "{report}");
    assert!(
        report["queued_reason"]
            .as_str()
            .unwrap()
            .contains("hors ligne"),
        "{report}"
    );
    let list = w.ok(&["outbox", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    w.start_vault().unwrap();
    let sent = w.ok(&["outbox", "send"]);
    assert_eq!(sent["sent"].as_array().unwrap().len(), 3, "{sent}");
    let again = w.ok(&["outbox", "send"]);
    assert_eq!(again["sent"].as_array().unwrap().len(), 0, "{again}");
    assert_eq!(vault_references(&w), expected(3));
}

#[test]
fn edi_certificate_option_chooses_the_signature_certificate_for_the_batch() {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    w.connect();
    // Looked up once online, so that the batch can be prepared offline.
    w.ok(&["recipients", "search", BANK_SIRET]);
    let manifest = batch(&w, 2, &[]);
    let manifest = manifest.to_str().unwrap();
    let (code, err, msg) = w.fails(&[
        "edi",
        "import",
        "--offline",
        "--certificate",
        "0DEADBEEF",
        manifest,
    ]);
    assert_eq!(
        (code, err.as_str()),
        (2, "app.certificate_not_found"),
        "{msg}"
    );
    assert!(msg.contains("0DEADBEEF"), "{msg}");
    assert_eq!(w.ok(&["outbox", "list"]).as_array().unwrap().len(), 0);

    let serial = w.office.signature.serial_hex();
    let report = w.ok(&[
        "edi",
        "import",
        "--offline",
        "--certificate",
        &serial,
        manifest,
    ]);
    assert_eq!(report["prepared"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(w.ok(&["outbox", "list"]).as_array().unwrap().len(), 2);
}
