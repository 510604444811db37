//! The window and the CLI call the same use cases: the CLI with a PIN for the call
//! (`Auth::Pin`, files where `--out` says or in the data directory), the window with its open
//! session (`Auth::Session`, files in the download folder). Each test runs a use case both ways
//! and requires the same result, so the two faces cannot drift again.

use chrono::Weekday;
use sceau_app::{Auth, Destination, SearchCriteria, SearchQuery, PAGE_SIZE};

use crate::{next, request, serve, vault_event, world};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vault_rename_rule_and_the_saved_names_are_the_same_for_the_window_and_the_cli() {
    let w = world(next(Weekday::Tue, 10)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("acte.pdf");
    std::fs::copy(&w.act, &file).unwrap();

    // The CLI: a PIN for each call.
    let cli = Auth::Pin(&w.cred);
    w.app.vault_mkdir(cli, "cli").await.unwrap();
    w.app
        .vault_upload(cli, "cli", std::slice::from_ref(&file), sceau_app::ignore())
        .await
        .unwrap();
    let by_cli = w
        .app
        .vault_rename(cli, "cli/acte.pdf", " renomme.pdf ")
        .await
        .unwrap();

    // The window: its session.
    w.app.open_session(&w.cred, None).await.unwrap();
    let win = Auth::Session;
    w.app.vault_mkdir(win, "win").await.unwrap();
    w.app
        .vault_upload(win, "win", std::slice::from_ref(&file), sceau_app::ignore())
        .await
        .unwrap();
    let by_window = w
        .app
        .vault_rename(win, "win/acte.pdf", " renomme.pdf ")
        .await
        .unwrap();
    assert_eq!(by_cli.path, "cli/renomme.pdf");
    assert_eq!(by_window.path, "win/renomme.pdf");

    // The same refusal, with the same code, from both (the CLI used to say `cli.rename` and
    // accept an empty name; the window `desktop.bad_name`).
    for auth in [cli, win] {
        for bad in ["", "a/b"] {
            let e = w
                .app
                .vault_rename(auth, "win/renomme.pdf", bad)
                .await
                .unwrap_err();
            assert_eq!(e.code(), "app.bad_name");
        }
    }

    // Download and proof: the window names the file in its folder, the CLI's `--out` is kept.
    let win_dir = dir.path().join("telechargements");
    let saved = w
        .app
        .vault_download(
            win,
            "win/renomme.pdf",
            &Destination::Folder(win_dir.clone()),
        )
        .await
        .unwrap();
    assert_eq!(saved.path, win_dir.join("renomme.pdf"));
    let cli_out = dir.path().join("sortie.pdf");
    let saved_cli = w
        .app
        .vault_download(cli, "cli/renomme.pdf", &Destination::File(cli_out.clone()))
        .await
        .unwrap();
    assert_eq!(saved_cli.path, cli_out);
    assert_eq!(
        std::fs::read(&saved.path).unwrap(),
        std::fs::read(&saved_cli.path).unwrap()
    );
    let (proof, sha) = w
        .app
        .vault_proof(
            win,
            "win/renomme.pdf",
            &Destination::Folder(win_dir.clone()),
        )
        .await
        .unwrap();
    assert_eq!(proof.path, win_dir.join("renomme.pdf.preuve.json"));
    assert_eq!(sha.len(), 64);
    assert_eq!(
        w.app.vault_usage(win).await.unwrap(),
        w.app.vault_usage(cli).await.unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plain_letter_has_one_name_whichever_face_saves_it() {
    use sceau_core::evidence::EvidenceEvent as E;
    let w = world(next(Weekday::Tue, 10)).await;
    let out = serve(&w, &request(&w, "DOM-77")).await.unwrap();
    let deposit = out.deposit.expect("deposited now").receipt.deposit_id;
    w.app
        .sync(sceau_app::Auth::Pin(&w.cred), sceau_app::ignore(), 0)
        .await
        .unwrap();
    vault_event(
        &w,
        &deposit,
        E::DeliveredAtHome,
        "Création de l'attestation de remise à domicile",
    )
    .await;
    w.app
        .sync(sceau_app::Auth::Pin(&w.cred), sceau_app::ignore(), 0)
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    // The window: the download folder. The CLI without `--out`: `lettres/` in the data folder.
    let (window_letter, window_file) = w
        .app
        .save_letter("DOM-77", &Destination::Folder(dir.path().join("dl")))
        .unwrap();
    let (cli_letter, cli_file) = w
        .app
        .save_letter(
            "DOM-77",
            &Destination::Folder(w.app.config().data_dir.join("lettres")),
        )
        .unwrap();
    let name = |p: &std::path::Path| p.file_name().unwrap().to_string_lossy().into_owned();
    // The window used to write `lettre_simple_<ref>.pdf`: the app's rule is `<ref>_LETTRE.pdf`.
    assert_eq!(
        name(&window_file.path),
        sceau_app::letter_file_name("DOM-77")
    );
    assert_eq!(name(&window_file.path), name(&cli_file.path));
    assert!(name(&cli_file.path).ends_with("_LETTRE.pdf"));
    assert_eq!(window_letter.date, cli_letter.date);
    assert_eq!(window_letter.text, cli_letter.text);
    assert!(std::fs::read(&cli_file.path).unwrap().starts_with(b"%PDF-"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_page_filter_is_applied_before_the_results_are_paginated() {
    let w = world(next(Weekday::Tue, 10)).await;
    // More services than a page; the ones the filter keeps are spread over the store's pages.
    let total = PAGE_SIZE + 4;
    let mut kept = Vec::new();
    for i in 0..total {
        let reference = if i % 2 == 0 {
            format!("GARDE-{i:02}")
        } else {
            format!("AUTRE-{i:02}")
        };
        serve(&w, &request(&w, &reference)).await.unwrap();
        if reference.starts_with("GARDE") {
            kept.push(reference);
        }
    }
    let unfiltered = w.app.search_services(&SearchQuery::default(), 0).unwrap();
    assert_eq!(unfiltered.items.len(), PAGE_SIZE);
    assert!(unfiltered.has_more);

    // The window's "Filtrer dans les résultats" and `sceau search` go through the same call:
    // the first page holds every match (7 of 14), not only those of the first 10 rows.
    let query = SearchQuery {
        criteria: SearchCriteria::default(),
        filter: Some(" garde ".into()),
    };
    let page = w.app.search_services(&query, 0).unwrap();
    let mut found: Vec<String> = page
        .items
        .iter()
        .map(|r| r.service.reference.clone())
        .collect();
    found.sort();
    kept.sort();
    assert_eq!(found, kept);
    assert!(!page.has_more);
    for row in &page.items {
        assert!(!row.first_document.is_empty());
        // The catalogue's label, not the code.
        assert_ne!(row.nature_label, row.service.nature);
    }
}

/// `env` for [`Config::resolve`]: these variables and nothing else.
fn env_of(
    vars: Vec<(&'static str, std::ffi::OsString)>,
) -> impl Fn(&str) -> Option<std::ffi::OsString> {
    move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
}

#[test]
fn the_window_and_the_cli_resolve_the_same_configuration_from_the_same_files_and_environment() {
    use sceau_app::{CliFlags, Config, Face, KeyChoice, ModuleSource};
    let home = tempfile::tempdir().unwrap();
    let module = sceau_testsupport::softhsm::module_path().unwrap();
    let conf = home.path().join(".config/sceau");
    std::fs::create_dir_all(&conf).unwrap();
    let key = home.path().join("store.key");
    let config_toml = format!(
        "pkcs11_module = {module:?}\nvault_url = \"https://file.example\"\ndata_dir = {:?}\n\
         insecure_store_key_file = {key:?}\nalsace_moselle = true\ntoken = \"Etude 9991\"\n",
        home.path().join("data-file"),
    );
    std::fs::write(conf.join("config.toml"), &config_toml).unwrap();
    let data_env = home.path().join("data-env");
    let env = env_of(vec![
        ("HOME", home.path().into()),
        ("SCEAU_VAULT_URL", "https://env.example".into()),
        ("SCEAU_DATA_DIR", data_env.clone().into()),
    ]);
    let cli_face = Face::Cli(CliFlags::default());

    let cli = Config::resolve(&cli_face, &env).unwrap();
    let window = Config::resolve(&Face::Window, &env).unwrap();
    assert_eq!(cli.config, window.config);
    assert_eq!(cli.config.vault_url.as_deref(), Some("https://env.example"));
    assert_eq!(cli.config.data_dir, data_env);
    assert_eq!(cli.config.module, module);
    assert_eq!(cli.config.key, KeyChoice::InsecureFileForTests(key.clone()));
    assert_eq!(cli.config.token.as_deref(), Some("Etude 9991"));
    assert!(cli.config.alsace_moselle);
    assert_eq!(cli.module.unwrap(), ModuleSource::Config);
    assert_eq!(window.module.unwrap(), ModuleSource::Config);
    // The same store opens for either face (one after the other: the data directory is locked).
    drop(sceau_app::App::open(cli.config).unwrap());
    drop(sceau_app::App::open(window.config).unwrap());

    // `desktop.toml` ("Paramètres") is the window's alone.
    std::fs::write(conf.join("desktop.toml"), "alsace_moselle = false\n").unwrap();
    let cli = Config::resolve(&cli_face, &env).unwrap();
    let window = Config::resolve(&Face::Window, &env).unwrap();
    assert!(cli.config.alsace_moselle);
    assert!(!window.config.alsace_moselle);
    std::fs::remove_file(conf.join("desktop.toml")).unwrap();

    // `SCEAU_CONFIG` names the file for both faces (the CLI used to ignore it).
    let other = home.path().join("other.toml");
    std::fs::write(&other, config_toml.replace("Etude 9991", "Etude 9992")).unwrap();
    let env_config = env_of(vec![
        ("HOME", home.path().into()),
        ("SCEAU_CONFIG", other.clone().into()),
    ]);
    let cli = Config::resolve(&cli_face, &env_config).unwrap();
    let window = Config::resolve(&Face::Window, &env_config).unwrap();
    assert_eq!(cli.config, window.config);
    assert_eq!(window.config.token.as_deref(), Some("Etude 9992"));

    // A module named but absent: both faces say so the same way (the window opens anyway, the
    // CLI stops on `resolved.module`), never another module in its place.
    let env_absent = env_of(vec![
        ("HOME", home.path().into()),
        ("SCEAU_PKCS11_MODULE", home.path().join("absent.so").into()),
    ]);
    for face in [&cli_face, &Face::Window] {
        let r = Config::resolve(face, &env_absent).unwrap();
        assert_eq!(r.config.module, home.path().join("absent.so"));
        assert_eq!(r.module.unwrap_err().code(), "token.module_missing");
    }

    // One refusal, one code, whichever face reads the file.
    for (text, code) in [
        ("vault_ulr = \"https://x\"\n", "app.config_invalid"),
        (
            "key_store = \"coffre-a-chaussures\"\n",
            "store.unknown_key_store",
        ),
    ] {
        std::fs::write(conf.join("config.toml"), text).unwrap();
        for face in [&cli_face, &Face::Window] {
            let e = Config::resolve(face, &env).unwrap_err();
            assert_eq!(e.code(), code, "{face:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipients_card_reaches_the_window_whole_and_its_reception_as_data() {
    let w = world(next(Weekday::Tue, 15)).await;
    // A company known by its SIREN alone, with a fixed and a mobile phone: the window used to
    // rebuild the SIREN from the (absent) SIRET and guess which phone was the mobile.
    let v = w.vault.clone();
    tokio::task::block_in_place(|| {
        let row = sceau_vault::store::meta::RecipientRow {
            id: "societe-siren".into(),
            kind: sceau_proto::RecipientKind::Company,
            name: "SOCIETE SIREN".into(),
            siret: None,
            siren: Some("552032534".into()),
            nir: None,
            email: None,
            phone_fixed: Some("07 00 00 00 00".into()),
            phone_mobile: Some("06 12 34 56 78".into()),
        };
        sceau_vault::store::sql::tx(v.meta.as_ref(), |sql| {
            sceau_vault::store::meta::upsert_recipient(sql, &row)
        })
        .unwrap();
        crate::weekday_mornings_for_garnishments(&v);
    });
    let card = w
        .app
        .recipient_card("societe-siren", None, None, sceau_app::Auth::Pin(&w.cred))
        .await
        .unwrap();
    assert_eq!(
        sceau_app::Recipient::from(card.recipient),
        sceau_app::Recipient {
            id: "societe-siren".into(),
            kind: sceau_app::RecipientKind::Company,
            name: "SOCIETE SIREN".into(),
            siret: None,
            siren: Some("552032534".into()),
            nir_masked: None,
            email: None,
            phone_fixed: Some("07 00 00 00 00".into()),
            phone_mobile: Some("06 12 34 56 78".into()),
            // A company enrolled without its registered office: no place.
            region: None,
        }
    );

    // Closed now (Tuesday 15:00, window 08:00-12:00): the refusal typed, the explanation without
    // the next opening, which the window writes from the instant in the user's date style.
    let card = w
        .app
        .recipient_card(
            "banque-test",
            Some("SAISIE_ATTRIBUTION"),
            None,
            sceau_app::Auth::Pin(&w.cred),
        )
        .await
        .unwrap();
    let status = card.reception.unwrap();
    let shown = sceau_app::Reception::from(&status);
    assert!(!shown.open);
    assert_eq!(shown.refusal, Some(sceau_app::Refusal::RecipientWindow));
    assert_eq!(shown.next_opening, status.next_opening);
    assert!(shown.next_opening.is_some());
    let explanation = shown.explanation.unwrap();
    assert!(explanation.contains("de 08h00 à 12h00"), "{explanation}");
    assert!(!explanation.contains("ouverture"), "{explanation}");
    assert!(status.message.unwrap().starts_with(&explanation));
}
