//! Consents before signing, the stamped consent mention, one process per data directory.

use chrono::Weekday;
use sceau_app::{App, ServeOptions};

use crate::{next, request, serve, world, World};

/// Adds a company to the vault's directory with consents for `natures` only (none if empty).
fn company(w: &World, id: &str, natures: &[&str]) {
    let v = w.vault.clone();
    let (id, natures): (String, Vec<String>) =
        (id.into(), natures.iter().map(|n| n.to_string()).collect());
    tokio::task::block_in_place(|| {
        use sceau_vault::store::meta::RecipientRow;
        let row = RecipientRow {
            id: id.clone(),
            kind: sceau_proto::RecipientKind::Company,
            name: format!("SOCIETE {id}"),
            siret: None,
            siren: None,
            nir: None,
            email: None,
            phone_fixed: None,
            phone_mobile: None,
        };
        sceau_vault::store::sql::tx(v.meta.as_ref(), |sql| {
            sceau_vault::store::meta::upsert_recipient(sql, &row)
        })
        .unwrap();
        if !natures.is_empty() {
            sceau_vault::admin::add_consent(
                v.meta.as_ref(),
                &id,
                sceau_vault::admin::NatureChoice::Listed(natures),
                sceau_core::paris_day_start(chrono::NaiveDate::from_ymd_opt(2020, 1, 2).unwrap()),
                None,
                "convention",
                chrono::Utc::now(),
            )
            .unwrap();
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_without_consent_is_refused_before_signing_online_and_offline() {
    let w = world(next(Weekday::Tue, 10)).await;
    company(&w, "sans-consentement", &[]);
    company(&w, "autre-nature", &["SOMMATION"]);
    for (id, says) in [
        ("sans-consentement", "n'a pas consenti"),
        ("autre-nature", "ne couvre pas cette nature"),
    ] {
        let mut req = request(&w, &format!("NC-{id}"));
        req.recipient = id.into();
        let e = serve(&w, &req).await.unwrap_err();
        assert_eq!(e.code(), "app.no_consent", "{}", e.message_fr());
        assert!(e.message_fr().contains(says), "{}", e.message_fr());
        assert!(e.message_fr().contains(&format!("SOCIETE {id}")));
        // Offline, the cached register says the same.
        req.offline = true;
        let e = serve(&w, &req).await.unwrap_err();
        assert_eq!(e.code(), "app.no_consent", "{}", e.message_fr());
    }
    // Nothing was prepared; the bank (consent for every nature) is served.
    assert!(w.app.outbox_list().unwrap().is_empty());
    let out = serve(&w, &request(&w, "C-OK")).await.unwrap();
    assert!(out.deposit.is_some(), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stamped_consent_mention_keeps_the_act_pdfa_1b() {
    let w = world(next(Weekday::Tue, 10)).await;
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("sans-mention.pdf");
    std::fs::write(
        &bare,
        sceau_testsupport::corpus::simple_pdf("Acte", &["Commandement de payer", "Page 1"]),
    )
    .unwrap();
    let mut req = request(&w, "STAMP-1");
    req.files = vec![bare];
    // Without the option: refused, nothing prepared.
    let e = serve(&w, &req).await.unwrap_err();
    assert_eq!(e.code(), "app.consent_mention");
    assert!(w.app.outbox_list().unwrap().is_empty());
    // With it: the act gets the mention on a last page and is deposited.
    let preview = dir.path().join("apercu");
    req.preview_dir = Some(preview.clone());
    let out = w
        .app
        .serve(
            &req,
            &ServeOptions {
                stamp_consent: true,
                ..ServeOptions::default()
            },
            &w.cred,
            sceau_app::ignore(),
        )
        .await
        .unwrap();
    assert!(out.deposit.is_some(), "{out:?}");
    let stamped = preview.join(&out.documents[0]);
    let bytes = std::fs::read(&stamped).unwrap();
    let doc = lopdf::Document::load_mem(&bytes).unwrap();
    assert_eq!(doc.get_pages().len(), 2);
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).unwrap();
    assert!(sceau_core::consent::mentions_consent(&text), "{text}");
    assert!(text.contains("Commandement de payer"), "{text}");
    let verdict = sceau_pdfa::check_pdfa1b(&bytes);
    assert!(verdict.conformant, "{:?}", verdict.violations);
    let pf = sceau_testsupport::pdfcorpus::preflight(std::slice::from_ref(&stamped)).unwrap();
    let v = pf.values().next().unwrap();
    assert!(v.valid, "Preflight: {:?}", v.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_app_on_the_same_data_dir_is_refused_until_the_first_is_gone() {
    let w = world(next(Weekday::Tue, 10)).await;
    let mut config = w.app.config().clone();
    // The world's app holds its data directory.
    let e = App::open(config.clone()).unwrap_err();
    assert_eq!(e.code(), "app.already_open");
    assert!(e.message_fr().contains("déjà ouvert"), "{}", e.message_fr());
    assert!(e.message_fr().contains("Fermez-la"), "{}", e.message_fr());
    // Another directory: the first app holds it, a second is refused and creates nothing.
    let dir = tempfile::tempdir().unwrap();
    config.data_dir = dir.path().join("poste");
    let first = App::open(config.clone()).unwrap();
    let files = |d: &std::path::Path| {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        v.sort();
        v
    };
    let before = files(&config.data_dir);
    assert_eq!(
        App::open(config.clone()).unwrap_err().code(),
        "app.already_open"
    );
    assert_eq!(files(&config.data_dir), before);
    // Closing the first frees the directory.
    drop(first);
    let again = App::open(config).unwrap();
    assert!(again.outbox_list().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_free_filter_reads_a_reference_then_a_recipient_then_a_file() {
    use sceau_core::delivery::NotificationCategory as C;
    let w = world(next(Weekday::Tue, 10)).await;
    let mut references: Vec<String> = (1..=11).map(|i| format!("REF-{i:02}")).collect();
    references.push("BANQUE-1".into());
    for r in &references {
        serve(&w, &request(&w, r)).await.unwrap();
    }
    let c = C::AwaitingConsultation;
    let refs = |p: &sceau_store::Page<sceau_store::Notification>| {
        p.items
            .iter()
            .map(|n| n.reference.clone())
            .collect::<Vec<_>>()
    };
    let all = w.app.dashboard_page_matching(c, "  ", 0).unwrap();
    assert_eq!((all.items.len(), all.has_more), (10, true));

    // A reference first: "banque" is the start of a reference and of the recipient's name.
    let banque = w.app.dashboard_page_matching(c, "banque", 0).unwrap();
    assert_eq!(refs(&banque), ["BANQUE-1"]);
    // Pages of a reading: the second page of "ref" holds the eleventh, the third is empty
    // rather than another reading of the text.
    let second = w.app.dashboard_page_matching(c, "ref", 1).unwrap();
    assert_eq!((second.items.len(), second.has_more), (1, false));
    let third = w.app.dashboard_page_matching(c, "ref", 2).unwrap();
    assert!(third.items.is_empty(), "{:?}", refs(&third));
    // Then the recipient's name: no reference starts with "banque t".
    let recipient = w.app.dashboard_page_matching(c, "Banque t", 1).unwrap();
    assert_eq!(recipient.items.len(), 2);
    assert!(recipient
        .items
        .iter()
        .all(|n| n.recipient_name == "BANQUE TEST"));
    // Then a file name.
    let file = all.items[0]
        .file
        .clone()
        .expect("a file name on the notification");
    let start: String = file.chars().take(4).collect();
    assert!(!references
        .iter()
        .any(|r| r.to_lowercase().starts_with(&start.to_lowercase())));
    let by_file = w.app.dashboard_page_matching(c, &start, 0).unwrap();
    assert_eq!(by_file.items.len(), 10);
    let files: Vec<_> = by_file
        .items
        .iter()
        .filter_map(|n| n.file.clone())
        .collect();
    assert_eq!(files.len(), 10, "{files:?}");
    assert!(files.iter().all(|f| f.starts_with(&start)), "{files:?}");
    // Nothing matches: an empty page.
    assert!(w
        .app
        .dashboard_page_matching(c, "zzz", 0)
        .unwrap()
        .items
        .is_empty());
}
