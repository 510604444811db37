//! A full service from the CLI, and what the workstation keeps of it.

use std::io::Read;

use base64::Engine;

use sceau_e2e::{World, BANK_ID, BANK_NAME, BANK_SIRET};

#[test]
fn full_service_from_the_cli_up_to_deposit_attestation_archive_and_history() {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    w.connect();
    // A second connection finds the office already bound.
    let again = w.ok(&["connect"]);
    assert_eq!(again["bound_now"], false);

    let found = w.ok(&["recipients", "search", BANK_SIRET]);
    assert_eq!(found[0]["id"], BANK_ID);
    assert_eq!(found[0]["name"], BANK_NAME);
    let card = w.ok(&[
        "recipients",
        "show",
        BANK_ID,
        "--nature",
        "SAISIE_ATTRIBUTION",
        "--judge-permission",
        sceau_e2e::PERMISSION,
    ]);
    assert_eq!(card["reception"]["open"], true);

    let act = w.act("pv.pdf");
    let preview = w.dir.path().join("preview");
    let mut args = w.signify_args("REF-2026-001", &act);
    args.insert(1, "--preview-dir".into());
    args.insert(2, preview.to_string_lossy().into_owned());
    let out = w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let deposit = &out["deposit"];
    assert!(deposit.is_object(), "not deposited: {out}");
    let deposit_id = deposit["receipt"]["deposit_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let doc = out["documents"][0].as_str().unwrap();
    assert!(
        doc.starts_with("9991_REF-2026-001_") && doc.ends_with(".pdf"),
        "{doc}"
    );
    // The preview is the converted act: PDF/A-1b.
    let previewed = std::fs::read(preview.join(doc)).unwrap();
    assert!(String::from_utf8_lossy(&previewed).contains("pdfaid:part"));

    // The archive (signed acts + attestation) is kept locally, sealed with the store's key:
    // nothing of it reads in clear; `sceau save` writes a readable copy.
    let archive = deposit["archive"].as_str().expect("archive downloaded");
    let sealed = std::fs::read(archive).unwrap();
    assert!(
        sealed.starts_with(b"SCEAUF01"),
        "the local archive is sealed"
    );
    assert!(!sealed.windows(11).any(|w| w == b"REF-2026-001"));
    let readable = w.dir.path().join("archive-lisible.zip");
    let saved = w.ok(&[
        "save",
        "REF-2026-001",
        "--file",
        "archive",
        "--out",
        &readable.to_string_lossy(),
    ]);
    assert_eq!(saved["size"], std::fs::metadata(&readable).unwrap().len());
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&readable).unwrap()).unwrap();
    let mut att = String::new();
    zip.by_name("attestation_depot.xml")
        .unwrap()
        .read_to_string(&mut att)
        .unwrap();
    assert!(att.contains("REF-2026-001"));
    assert!(zip.by_name(doc).is_ok());

    // Exactly one service in the vault.
    let vault = w.vault_services();
    assert_eq!(vault.total, 1);
    assert_eq!(vault.results[0].deposit_id, deposit_id);

    // Sync brings the vault's history; a second sync adds nothing.
    let s1 = w.ok(&["sync"]);
    assert!(s1["events"].as_u64().unwrap() > 0);
    let shown = w.ok(&["show", "REF-2026-001"]);
    let history: Vec<String> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[1].as_str().unwrap().to_owned())
        .collect();
    for expected in [
        "Acte placé dans la file d'envoi",
        "Dépôt REF-2026-001 accepté",
        "Création de l'attestation de dépôt",
        "déposé dans votre coffre pour archivage",
    ] {
        assert!(
            history.iter().any(|h| h.contains(expected)),
            "{expected} missing: {history:?}"
        );
    }
    let s2 = w.ok(&["sync"]);
    assert_eq!(s2["events"], 0);
    let again = w.ok(&["show", "REF-2026-001"]);
    assert_eq!(again["history"].as_array().unwrap().len(), history.len());
    // The detail sheet from the vault: act and attestation sections.
    assert_eq!(shown["state"], "awaiting_consultation");
    assert_eq!(shown["vault"]["act"]["reference"], "REF-2026-001");
    assert_eq!(
        shown["vault"]["attestation"]["xml_name"],
        "attestation_depot.xml"
    );

    // Dashboard: one service awaiting consultation; opening the detail marked it seen.
    let d = w.ok(&["dashboard", "--category", "awaiting_consultation"]);
    assert_eq!(d["awaiting_consultation"], 0, "{d}");
    // The session log lists every action since the (second) connection.
    let log: Vec<(String, String)> = d["session_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e[1].as_str().unwrap().to_owned(),
                e[2].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (action, detail) in [
        ("Connexion", ""),
        ("Signification préparée", "REF-2026-001"),
        ("Dépôt dans le coffre-fort", "REF-2026-001"),
        ("Synchronisation", "0 événement(s)"),
        ("Consultation du détail", "REF-2026-001"),
    ] {
        assert!(
            log.contains(&(action.to_owned(), detail.to_owned())),
            "{action} {detail} missing: {log:?}"
        );
    }
    // Search by every criterion the store offers.
    let r = w.ok(&[
        "search",
        "--reference",
        "REF-2026",
        "--state",
        "awaiting_consultation",
    ]);
    assert_eq!(r["results"].as_array().unwrap().len(), 1);
    let r = w.ok(&["search", "--recipient", "banque"]);
    assert_eq!(r["results"].as_array().unwrap().len(), 1);
    let r = w.ok(&["search", "--nature", "SOMMATION"]);
    assert_eq!(r["results"].as_array().unwrap().len(), 0);

    // My vault: the archive is there; proof; folders.
    let ls = w.ok(&["vault", "ls", "Significations"]);
    let entries = ls["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    let zip_path = entries[0]["path"].as_str().unwrap().to_owned();
    let proof = w.dir.path().join("proof.json");
    w.proof_verifies(&zip_path, &proof);
    w.ok(&["vault", "mkdir", "Dossiers"]);
    w.ok(&["vault", "mkdir", "Dossiers/2026"]);
    w.ok(&["vault", "rename", "Dossiers/2026", "Annee_2026"]);
    let ls = w.ok(&["vault", "ls", "Dossiers"]);
    assert_eq!(ls["entries"][0]["path"], "Dossiers/Annee_2026");
    // Properties: a description and a retention, shown by ls; never shortened, and the folder
    // holding it is no longer deleted.
    let p = w.ok(&[
        "vault",
        "props",
        "Dossiers/Annee_2026",
        "--description",
        "Pièces de l'année",
        "--retain-until",
        "2099-12-31",
    ]);
    assert_eq!(p["description"], "Pièces de l'année");
    assert!(p["retained_until"]
        .as_str()
        .unwrap()
        .starts_with("2099-12-31T22:59:59"));
    let ls = w.ok(&["vault", "ls", "Dossiers"]);
    assert_eq!(ls["entries"][0]["description"], "Pièces de l'année");
    let (_, code, _) = w.fails(&[
        "vault",
        "props",
        "Dossiers/Annee_2026",
        "--retain-until",
        "2098-01-01",
    ]);
    assert_eq!(code, "vault.retention_shortened");
    let (_, code, _) = w.fails(&["vault", "rm", "Dossiers"]);
    assert_eq!(code, "vault.retained");
    let got = w.dir.path().join("archive-copy.zip");
    w.ok(&["vault", "get", &zip_path, "--out", &got.to_string_lossy()]);
    assert_eq!(
        std::fs::read(&got).unwrap(),
        std::fs::read(&readable).unwrap()
    );
    // An archived service cannot be deleted before its retention period ends.
    let (_, code, _) = w.fails(&["vault", "rm", &zip_path]);
    assert_eq!(code, "vault.retained");
}

fn history_of(shown: &serde_json::Value) -> Vec<String> {
    shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[1].as_str().unwrap().to_owned())
        .collect()
}

fn assert_history(shown: &serde_json::Value, expected: &[&str]) {
    let history = history_of(shown);
    for e in expected {
        assert!(
            history.iter().any(|h| h.contains(e)),
            "{e} missing: {history:?}"
        );
    }
}

/// The workstation's copy of the file `field` of `shown` (sealed on disk), its readable copy
/// checked as PDF/A-1b by the product's checker.
fn pdfa_file(w: &World, shown: &serde_json::Value, field: &str) -> std::path::PathBuf {
    let (p, bytes) = w.kept_file(shown, field);
    pdfa_bytes(&p, &bytes);
    p
}

/// A letter the CLI wrote where it was told (in clear: the user's own copy), checked as
/// PDF/A-1b.
fn pdfa_letter(v: &serde_json::Value) {
    let p = std::path::PathBuf::from(v.as_str().expect("a letter file"));
    pdfa_bytes(&p, &std::fs::read(&p).unwrap());
}

fn pdfa_bytes(p: &std::path::Path, bytes: &[u8]) {
    let verdict = sceau_pdfa::check_pdfa1b(bytes);
    assert!(
        verdict.conformant,
        "{}: {:?}",
        p.display(),
        verdict.violations
    );
}

/// The recipient side through the real vault: the bank consults one service through its API
/// (mutual TLS with its own certificate) and deposits a return; the other is left unconsulted
/// until the vault's clock (test clock of the real binary) passes its deadline. `sceau sync`
/// brings "remis à personne" with its REMISE attestation, the return in the fourth category,
/// then "remis à domicile" with its attestation and the plain letter as PDF/A-1b.
#[test]
fn services_end_in_person_with_a_return_and_at_home_with_a_letter() {
    let mut w = World::new().unwrap();
    let bank = w.bind_bank().unwrap();
    w.start_vault().unwrap();
    w.connect();
    w.ok(&["recipients", "search", BANK_SIRET]);
    let act = w.act("pv.pdf");
    let mut deposits = Vec::new();
    for reference in ["REF-PERSONNE", "REF-DOMICILE"] {
        let args = w.signify_args(reference, &act);
        let out = w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        deposits.push((
            out["deposit"]["receipt"]["deposit_id"]
                .as_str()
                .expect("deposited")
                .to_owned(),
            out["documents"][0].as_str().unwrap().to_owned(),
        ));
    }
    let (dp, fp) = deposits[0].clone();
    let (dd, fd) = deposits[1].clone();

    // The bank lists both acts, reads the first and answers it.
    World::block_on(async {
        let list: sceau_proto::BankActList = bank
            .get(w.url("/v1/bank/acts"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut ids: Vec<&str> = list.acts.iter().map(|a| a.deposit_id.as_str()).collect();
        ids.sort_unstable();
        let mut want = vec![dp.as_str(), dd.as_str()];
        want.sort_unstable();
        assert_eq!(ids, want);
        let r = bank
            .get(w.url(&format!("/v1/bank/acts/{dp}/documents/{fp}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
        let answer = sceau_testsupport::corpus::simple_pdf(
            "Declaration du tiers saisi",
            &[
                "BANQUE TEST",
                "Comptes ouverts au nom du debiteur : un compte courant.",
            ],
        );
        let r = bank
            .put(w.url(&format!("/v1/bank/acts/{dp}/return")))
            .json(&sceau_proto::ReturnUpload {
                pdf_base64: base64::engine::general_purpose::STANDARD.encode(answer),
                answer: Some(serde_json::json!({
                    "version": 1, "accounts_found": true, "declared_on": "2026-06-02",
                    "accounts": [{"kind": "compte courant", "balance_cents": 123456, "currency": "EUR"}]
                })),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    });

    // Sync: "remis à personne" and the return, each in its category, unseen.
    let s = w.ok(&["sync"]);
    assert_eq!(s["deliveries"], 1, "{s}");
    assert_eq!(s["returns"], 1, "{s}");
    assert_eq!(s["files"], 2, "notice and return downloaded: {s}");
    let d = w.ok(&["dashboard", "--category", "delivered_in_person"]);
    assert_eq!(d["delivered_in_person"], 1, "{d}");
    assert_eq!(d["delivered_at_home"], 0, "{d}");
    assert_eq!(d["return_awaiting_consultation"], 1, "{d}");
    assert_eq!(d["notifications"][0]["reference"], "REF-PERSONNE", "{d}");
    let d = w.ok(&["dashboard", "--category", "return_awaiting_consultation"]);
    assert_eq!(d["notifications"][0]["reference"], "REF-PERSONNE", "{d}");
    // The window's free filter: a reference's start, else a recipient's name.
    for (text, found) in [("ref-pers", 1), ("zzz", 0)] {
        let d = w.ok(&[
            "dashboard",
            "--category",
            "delivered_in_person",
            "--filter",
            text,
        ]);
        let n = d["notifications"].as_array().map_or(0, Vec::len);
        assert_eq!(n, found, "{text}: {d}");
    }

    // The detail sheet: delivery notice and return sections, both kept locally.
    let shown = w.ok(&["show", "REF-PERSONNE"]);
    assert_eq!(shown["state"], "in_person", "{shown}");
    let notice_name = sceau_core::naming::delivery_notice_name(&fp);
    assert_eq!(shown["vault"]["delivery_notice"]["file_name"], *notice_name);
    let local = pdfa_file(&w, &shown, "delivery_notice_file");
    assert!(local.ends_with(&notice_name), "{}", local.display());
    let (ret, ret_bytes) = w.kept_file(&shown, "return_file");
    assert_eq!(
        shown["vault"]["act_return"]["file_name"].as_str(),
        ret.file_name().and_then(|n| n.to_str())
    );
    assert!(ret_bytes.starts_with(b"%PDF-"));
    assert_history(
        &shown,
        &[
            "remise à personne",
            "Attestation de remise téléchargée sur le poste",
            "Réponse déposée par le destinataire",
            "Retour de l'acte téléchargé sur le poste",
        ],
    );
    // Opening the detail marked both notifications seen.
    let d = w.ok(&["dashboard"]);
    assert_eq!(d["delivered_in_person"], 0, "{d}");
    assert_eq!(d["return_awaiting_consultation"], 0, "{d}");
    // Not "à domicile": no letter.
    let (_, code, msg) = w.fails(&["letter", "REF-PERSONNE"]);
    assert_eq!(code, "app.not_at_home", "{msg}");

    // REF-DOMICILE is never consulted. The vault's clock moves three days on (its deadline is
    // the end of the day of service); the restarted vault decides before serving.
    w.stop_vault();
    w.shift_vault_clock(3 * 86_400).unwrap();
    w.start_vault().unwrap();
    let s = w.ok(&["sync"]);
    assert_eq!(s["deliveries"], 1, "{s}");
    let d = w.ok(&["dashboard", "--category", "delivered_at_home"]);
    assert_eq!(d["delivered_at_home"], 1, "{d}");
    assert_eq!(d["notifications"][0]["reference"], "REF-DOMICILE", "{d}");
    let shown = w.ok(&["show", "REF-DOMICILE"]);
    assert_eq!(shown["state"], "at_home", "{shown}");
    assert_eq!(
        shown["vault"]["delivery_notice"]["file_name"],
        *sceau_core::naming::delivery_notice_name(&fd)
    );
    pdfa_file(&w, &shown, "delivery_notice_file");
    assert!(shown["return_file"].is_null());
    assert_history(&shown, &["remise à domicile"]);
    // The lines from the vault carry the vault's time (three days ahead of this machine), and
    // the local download of the notice is listed after the vault's decision, never before.
    let lines: Vec<(chrono::DateTime<chrono::Utc>, String)> =
        serde_json::from_value(shown["history"].clone()).unwrap();
    let decided = lines
        .iter()
        .position(|(_, m)| m.contains("domicile"))
        .expect("decision in the history");
    let downloaded = lines
        .iter()
        .position(|(_, m)| m == "Attestation de remise téléchargée sur le poste")
        .expect("download in the history");
    assert!(decided < downloaded, "{lines:#?}");
    assert!(
        lines[decided].0 > chrono::Utc::now() + chrono::Duration::days(2),
        "the decision should carry the vault's (shifted) time: {lines:#?}"
    );
    assert!(lines[downloaded].0 >= lines[decided].0, "{lines:#?}");

    // The plain letter: PDF/A-1b (ours and Apache PDFBox Preflight), dated for the first
    // working day after the service.
    let out = w.dir.path().join("lettre-domicile.pdf");
    let l = w.ok(&["letter", "REF-DOMICILE", "--out", &out.to_string_lossy()]);
    assert_eq!(l["pdf"], *out.to_string_lossy());
    let served: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(shown["served_at"].clone()).unwrap();
    let expected = sceau_core::delivery::letter_date(
        served,
        sceau_core::delivery::DeliveryRule::default(),
        &sceau_core::calendar::Calendar::default(),
    );
    assert_eq!(l["date"], *expected.to_string());
    assert!(l["text"]
        .as_str()
        .unwrap()
        .contains(&expected.format("%d/%m/%Y").to_string()));
    // It names the requesting party given to `signify --requerant` (CPC 662-1), kept by the
    // store since schema v5.
    assert!(
        l["text"]
            .as_str()
            .unwrap()
            .contains("à la requête de SA CREANCIER"),
        "{l}"
    );
    pdfa_letter(&serde_json::Value::from(out.to_string_lossy().into_owned()));
    let verdicts = sceau_testsupport::pdfcorpus::preflight(std::slice::from_ref(&out)).unwrap();
    let v = verdicts.values().next().unwrap();
    assert!(v.valid, "Preflight: {:?}", v.errors);
    // Without --out, the letter goes to the data directory.
    let l = w.ok(&["letter", "REF-DOMICILE"]);
    pdfa_letter(&l["pdf"]);
}

#[test]
fn the_local_database_holds_no_recipient_name_in_clear() {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    w.connect();
    w.ok(&["recipients", "search", BANK_SIRET]);
    let act = w.act("pv.pdf");
    let args = w.signify_args("REF-CLEAR", &act);
    w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    w.ok(&["sync"]);
    // The name is in the store (the dashboard shows it)...
    let shown = w.ok(&["show", "REF-CLEAR", "--offline"]);
    assert_eq!(shown["recipient_name"], BANK_NAME);
    // ...but no file of the store contains it, nor the reference.
    let files = w.store_files();
    assert!(!files.is_empty());
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        for needle in [BANK_NAME.as_bytes(), b"REF-CLEAR", b"SQLite format 3"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} contains {:?} in clear",
                f.display(),
                String::from_utf8_lossy(needle)
            );
        }
    }
}
