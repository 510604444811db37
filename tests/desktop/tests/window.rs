//! The real window, end to end: first connection, a service with two acts and its six steps,
//! the recipient's consultation through the bank API, the background sync, the detail and the
//! archive; a wrong PIN; a recipient outside the legal hours; an EDI batch refused line by line,
//! then imported; a person created in the window, invited, consenting on the portal, then
//! served. Every screen visited is saved
//! under `target/e2e-screenshots/`.
#![allow(clippy::unwrap_used)]

use std::io::Read;

use chrono::Weekday;
use sceau_desktop_tests::{plain, shift_to, Desktop, BANK_NAME, BANK_SIRET};

/// `CKF_USER_PIN_COUNT_LOW`: the token says a wrong PIN was typed since the last success.
const CKF_USER_PIN_COUNT_LOW: u64 = 0x0001_0000;

fn sceau_core_calendar() -> sceau_core::calendar::Calendar {
    sceau_core::calendar::Calendar::default()
}

/// Connection and first connection (the certificate's declaration) up to the dashboard.
fn zip_names(path: &std::path::Path) -> Vec<String> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut sink = Vec::new();
            f.read_to_end(&mut sink).unwrap();
            f.name().to_owned()
        })
        .collect()
}

#[test]
fn an_act_with_two_documents_is_served_consulted_synced_and_archived() {
    let (mut d, bank) = Desktop::start("service", true).unwrap();
    let bank = bank.unwrap();
    d.world.shift_vault_clock(shift_to(Weekday::Tue)).unwrap();
    d.connect_first_time().unwrap();

    d.fill_form("REF-FENETRE-1").unwrap();
    let act1 = d.world.act("pv-saisie.pdf");
    let act2 = d.world.act("denonciation.pdf");
    d.window.drop_files(&[&act1, &act2]).unwrap();
    d.window
        .wait_text("section", Some("denonciation.pdf"))
        .unwrap();
    d.window
        .wait_text("section", Some("pv-saisie.pdf"))
        .unwrap();
    // The legal hours are open on the vault's Tuesday morning: no refusal shown.
    let text = d.window.page_text().unwrap();
    assert!(!text.contains("Prochaine ouverture"), "{text}");
    d.window.type_into("#sig-pin", &d.world.office.pin).unwrap();
    d.window.screenshot("formulaire").unwrap();
    d.confirm_service("REF-FENETRE-1").unwrap();

    // The six steps, live, all done.
    d.window.wait_text("li[data-step='1']", None).unwrap();
    d.window.screenshot("six-etapes-en-cours").unwrap();
    d.window
        .wait_text("li[data-step='6'][data-status=done]", None)
        .unwrap();
    for n in 1..=6 {
        d.window
            .wait_text(&format!("li[data-step='{n}'][data-status=done]"), None)
            .unwrap();
    }
    let done = d
        .window
        .wait_text("p.success", Some("Signification déposée le"))
        .unwrap();
    d.window.screenshot("six-etapes").unwrap();
    assert!(done.contains("Archive"), "{done}");

    // "En attente de consultation" on the dashboard.
    d.window.click_button("ACCUEIL").unwrap();
    d.window
        .wait_text(
            "section[data-category=awaiting_consultation] .count",
            Some("1"),
        )
        .unwrap();
    d.window
        .click("section[data-category=awaiting_consultation] .category-toggle")
        .unwrap();
    d.window
        .wait_text(
            "section[data-category=awaiting_consultation]",
            Some("REF-FENETRE-1"),
        )
        .unwrap();
    d.window.screenshot("en-attente-de-consultation").unwrap();

    // The bank consults the act through its API; the window's background sync (the vault's
    // feed answers at once) brings "remis à personne" without any click.
    let list = d.world.bank_acts(&bank).unwrap();
    assert_eq!(list.acts.len(), 1);
    assert_eq!(d.world.bank_reads(&bank, &list.acts[0]).unwrap(), 200);
    let acts = list.acts[0].documents.len();
    assert_eq!(acts, 2, "two acts deposited");
    d.window
        .wait_text("section[data-category=in_person] .count", Some("1"))
        .unwrap();
    d.window
        .wait_text(
            "section[data-category=awaiting_consultation] .count",
            Some("0"),
        )
        .unwrap();
    // The open list of the awaiting category follows its count.
    d.window
        .wait_absent(
            "section[data-category=awaiting_consultation]",
            "REF-FENETRE-1",
        )
        .unwrap();
    d.window
        .click("section[data-category=in_person] .category-toggle")
        .unwrap();
    d.window
        .wait_text("section[data-category=in_person]", Some("REF-FENETRE-1"))
        .unwrap();
    d.window.screenshot("remis-a-personne").unwrap();

    // The detail sheet and the archive.
    d.window
        .click("button[aria-label^='Voir le détail'][aria-label$='REF-FENETRE-1']")
        .unwrap();
    let detail = d
        .window
        .wait_text(
            "section[aria-labelledby=detail-title]",
            Some("5. Historique"),
        )
        .unwrap();
    assert!(detail.contains("REF-FENETRE-1"), "{detail}");
    assert!(detail.contains(BANK_NAME), "{detail}");
    d.window.screenshot("detail").unwrap();
    d.window.click_button("Ouvrir l'archive").unwrap();
    let saved = d
        .window
        .wait_text("[role=dialog] h2", Some("Archive de l'acte signifié"))
        .unwrap();
    d.window.screenshot("archive-telechargee").unwrap();
    d.window.click_button("Fermer").unwrap();
    let zips: Vec<_> = std::fs::read_dir(&d.downloads)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "zip"))
        .collect();
    assert_eq!(zips.len(), 1, "{saved}");
    let names = zip_names(&zips[0]);
    assert!(
        names.iter().any(|n| n == "attestation_depot.xml"),
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| n.ends_with(".pdf")).count(),
        2,
        "the two acts in the archive: {names:?}"
    );
    // No PIN in the application's log.
    assert!(!d.log().contains(&d.world.office.pin), "the PIN was logged");
}

#[test]
fn a_wrong_pin_says_how_few_tries_are_left() {
    let (mut d, _) = Desktop::start("pin", false).unwrap();
    // The token reports a previous wrong PIN, as a smart card does after one.
    d.world
        .hsm
        .set_user_pin_flags(&d.world.office.label, CKF_USER_PIN_COUNT_LOW, 0)
        .unwrap();
    let w = &mut d.window;
    w.wait_text(".cert-choice", Some("Jeanne DUPONT")).unwrap();
    w.click_button("Détecter à nouveau").unwrap();
    w.wait_text(".pin-field", Some("Un code PIN erroné a déjà été saisi"))
        .unwrap();
    w.type_into("#login-pin", "999999").unwrap();
    w.click_button("Se connecter").unwrap();
    let error = w.wait_text("p.error", Some("Code PIN incorrect")).unwrap();
    assert!(error.contains("il reste peu d'essais"), "{error}");
    w.screenshot("code-pin-errone").unwrap();
    // Still on the login screen, nothing connected.
    let text = w.page_text().unwrap();
    assert!(text.contains("Connexion au service"), "{text}");
    // The web engine runs as shipped (src-tauri/src/webview.rs): no JIT, malloc giving back.
    let envs = sceau_desktop_tests::web_process_environments(sceau_desktop_tests::app_bin());
    assert!(!envs.is_empty(), "no web process found for the window");
    for env in &envs {
        for wanted in [
            "JSC_useJIT=false",
            "WEBKIT_DISABLE_DMABUF_RENDERER=1",
            // One tunable: glibc rewrites the variable in place as it parses it, so that a
            // list would read in /proc as its first item only.
            "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072",
        ] {
            assert!(env.iter().any(|v| v == wanted), "{wanted} missing");
        }
    }
}

#[test]
fn a_recipient_outside_the_legal_hours_shows_the_manuals_message() {
    let (mut d, _) = Desktop::start("horaires", false).unwrap();
    d.world.shift_vault_clock(shift_to(Weekday::Sun)).unwrap();
    d.connect_first_time().unwrap();
    d.fill_form("REF-DIMANCHE").unwrap();
    let closed = d
        .window
        .wait_text("[data-testid=reception-closed]", Some("dimanche"))
        .unwrap();
    assert!(closed.contains("Prochaine ouverture"), "{closed}");
    // A judge's permission may lift the legal hours (CPC 664): the field is offered.
    d.window.wait_text("label[for=sig-judge]", None).unwrap();
    d.window.screenshot("hors-heures-legales").unwrap();
}

/// A batch folder with `n` acts named in `name`; `missing` adds a line whose act is absent.
fn edi_batch(d: &Desktop, name: &str, n: usize, missing: bool) -> std::path::PathBuf {
    let dir = d.world.dir.path().join("lot");
    std::fs::create_dir_all(dir.join("actes")).unwrap();
    let mut csv = String::from("reference;destinataire;nature;requerant;fichiers\n");
    for i in 1..=n {
        let act = d.world.act(&format!("edi{i}.pdf"));
        std::fs::rename(&act, dir.join(format!("actes/edi{i}.pdf"))).unwrap();
        csv.push_str(&format!(
            "EDI-{i};{BANK_SIRET};SAISIE_ATTRIBUTION;SA CREANCIER;actes/edi{i}.pdf\n"
        ));
    }
    if missing {
        csv.push_str(&format!(
            "EDI-X;{BANK_SIRET};SAISIE_ATTRIBUTION;SA CREANCIER;actes/absent.pdf\n"
        ));
    }
    let manifest = dir.join(name);
    std::fs::write(&manifest, csv).unwrap();
    manifest
}

#[test]
fn an_edi_batch_is_refused_line_by_line_then_imported_from_the_window() {
    let (mut d, _) = Desktop::start("edi", false).unwrap();
    d.world.shift_vault_clock(shift_to(Weekday::Tue)).unwrap();
    d.connect_first_time().unwrap();
    let bad = edi_batch(&d, "lot-erreurs.csv", 1, true);
    let good = edi_batch(&d, "lot.csv", 2, false);
    let pin = d.world.office.pin.clone();
    let w = &mut d.window;
    w.click_button("SIGNIFICATIONS EDI").unwrap();
    w.wait_text("#edi-import-title", Some("Importer un lot"))
        .unwrap();
    // Dropped files are listened to once the screen has registered with the webview.
    w.wait_text("section[data-drop-ready=true]", None).unwrap();

    // A line names an absent act: the batch is refused, its line shown, nothing signed.
    // The native file dialog cannot be driven under Xvfb: the manifest is dropped instead.
    w.drop_files(&[&bad]).unwrap();
    w.wait_text("[data-testid=edi-manifest]", Some("lot-erreurs.csv"))
        .unwrap();
    w.type_into("#edi-pin", &pin).unwrap();
    w.click_button("Importer le lot").unwrap();
    let refused = w
        .wait_text("[aria-label='Lignes refusées']", Some("Ligne 3"))
        .unwrap();
    assert!(refused.contains("absent.pdf"), "{refused}");
    assert!(refused.contains("aucun acte n'a été signé"), "{refused}");
    w.screenshot("edi-lot-refuse").unwrap();

    // The corrected batch: checked, signed with the one PIN, deposited.
    w.drop_files(&[&good]).unwrap();
    w.wait_text("[data-testid=edi-manifest]", Some("lot.csv"))
        .unwrap();
    w.type_into("#edi-pin", &pin).unwrap();
    w.click_button("Importer le lot").unwrap();
    let done = w.wait_text("p[role=status]", Some("Lot importé")).unwrap();
    assert!(done.contains("2 actes signés"), "{done}");
    assert!(done.contains("2 déposés"), "{done}");
    let progress = plain(
        &w.wait_text("ul.edi-progress", Some("Actes signés : 2 / 2"))
            .unwrap(),
    );
    assert!(progress.contains("Lignes vérifiées : 2"), "{progress}");
    assert!(progress.contains("Actes déposés : 2"), "{progress}");
    w.screenshot("edi-lot-importe").unwrap();
}

#[test]
fn files_dropped_on_mon_coffre_fort_go_into_the_vault_with_their_progress() {
    let (mut d, _) = Desktop::start("coffre", false).unwrap();
    d.connect_first_time().unwrap();
    let dir = d.world.dir.path().join("poste");
    std::fs::create_dir_all(&dir).unwrap();
    // Big enough for several progress reports (one per MiB).
    let big = dir.join("releve_2026.pdf");
    std::fs::write(&big, vec![b'x'; 6 * 1024 * 1024 + 321]).unwrap();
    let small = dir.join("note.txt");
    std::fs::write(&small, "Note de l'étude").unwrap();
    let w = &mut d.window;
    w.click_button("MON COFFRE-FORT").unwrap();
    w.wait_text("#vault-title", Some("Mon coffre-fort"))
        .unwrap();
    w.wait_text("section[data-drop-ready=true]", None).unwrap();
    // Records, in the page, whether the progress bar was drawn (it leaves when the transfer ends).
    w.exec(
        r#"window.__sawProgress = false;
           new MutationObserver(() => {
             if (document.querySelector("[data-testid=transfer-progress] progress")) window.__sawProgress = true;
           }).observe(document.body, { childList: true, subtree: true });
           return true;"#,
        serde_json::json!([]),
    )
    .unwrap();
    w.drop_files(&[&big, &small]).unwrap();
    let done = w.wait_text("p[role=status]", Some("transférés")).unwrap();
    assert!(
        plain(&done).contains(
            "2 fichiers transférés dans le coffre-fort : « releve_2026.pdf », « note.txt »"
        ),
        "{done}"
    );
    let listed = w.wait_text("table", Some("releve_2026.pdf")).unwrap();
    assert!(
        listed.contains("note.txt") && listed.contains("6,00 Mo"),
        "{listed}"
    );
    let saw = w
        .exec("return window.__sawProgress;", serde_json::json!([]))
        .unwrap();
    assert_eq!(
        saw,
        serde_json::json!(true),
        "the transfer's progress was never shown"
    );
    w.screenshot("coffre-fort-transfert").unwrap();
}

/// The person of the consent flow: e-mail and mobile as the vault keeps them (E.164).
const PERSON_EMAIL: &str = "lucie.bernard@exemple.fr";

#[test]
fn a_person_created_in_the_window_is_invited_consents_on_the_portal_and_is_served() {
    let mut d = Desktop::start_with_recipient_side("consentement").unwrap();
    d.connect_first_time().unwrap();
    let w = &mut d.window;
    w.click_button("SIGNIFICATION D'ACTES").unwrap();
    w.wait_text("#signify-title", None).unwrap();
    w.type_into("#sig-reference", "REF-CONSENTEMENT-1").unwrap();
    w.type_into("#sig-requerant", "SA CRÉANCIÈRE").unwrap();

    // "Nouveau destinataire": first a problem beside its field, then the person created.
    w.click_button("Nouveau destinataire").unwrap();
    w.wait_text("#nr-title", Some("Nouveau destinataire"))
        .unwrap();
    w.select("#nr-civility", "Mme").unwrap();
    for (field, value) in [
        ("#nr-last-name", "Bernard"),
        ("#nr-first-names", "Lucie"),
        ("#nr-birth-date", "14/02/1990"),
        ("#nr-email", PERSON_EMAIL),
        ("#nr-mobile", "06 98 76 54"),
        ("#nr-address", "3 place du Marché"),
        ("#nr-postal-code", "69002"),
        ("#nr-city", "Lyon"),
    ] {
        w.type_into(field, value).unwrap();
    }
    w.click_button("Enregistrer le destinataire").unwrap();
    let problem = w.wait_text("#nr-mobile-error", Some("mobile")).unwrap();
    assert!(
        problem.contains("n'est pas un mobile français"),
        "{problem}"
    );
    w.screenshot("nouveau-destinataire-erreur").unwrap();
    w.type_into("#nr-mobile", "06 98 76 54 32").unwrap();
    w.click_button("Enregistrer le destinataire").unwrap();
    w.wait_text(".recipient-card", Some("BERNARD Lucie"))
        .unwrap();

    // No consent yet: Signifier disabled, the card says why and the paper fallback.
    w.select("#sig-nature", "SAISIE_ATTRIBUTION").unwrap();
    let why = w
        .wait_text("[data-testid=consent-block]", Some("sur papier"))
        .unwrap();
    assert!(why.contains("pas de consentement en vigueur"), "{why}");
    let disabled = w
        .exec(
            r#"return [...document.querySelectorAll(".action-bar button")]
                 .find((b) => b.textContent.trim() === "Signifier").disabled;"#,
            serde_json::json!([]),
        )
        .unwrap();
    assert_eq!(
        disabled,
        serde_json::json!(true),
        "Signifier without consent"
    );
    w.screenshot("sans-consentement").unwrap();

    // The invitation, for the nature chosen in the form (the default).
    w.click_button("Inviter à consentir").unwrap();
    w.wait_text("form.invite", None).unwrap();
    w.click_button("Envoyer l'invitation").unwrap();
    w.wait_text(".consent table", Some("en attente de réponse"))
        .unwrap();
    w.screenshot("invitation-envoyee").unwrap();

    // The person answers on the portal in Chromium (codes read from the SMTP and SMS sinks):
    // first wrong codes until the invitation locks — the window then says so and Signifier
    // stays disabled —, then, the invitation sent again from the card, the right ones.
    let side = d.world.recipient_side.as_ref().unwrap();
    let answer = |wrong: u32| {
        let token = sceau_testsupport::portal::invitation_link(&side.smtp, PERSON_EMAIL).unwrap();
        let link = format!(
            "https://127.0.0.1:{}/portail/consentement/{token}",
            side.portal_port
        );
        sceau_testsupport::portal::chromium_answer(&link, &side.smtp, &side.sms, "accepter", wrong)
            .unwrap()
    };
    let seen = answer(5);
    assert_eq!(seen["final"]["title"], "Invitation bloquée", "{seen}");
    let w = &mut d.window;
    w.click_button("Actualiser").unwrap();
    w.wait_text(".consent table", Some("bloquée")).unwrap();
    w.wait_text("[data-testid=consent-block]", Some("sur papier"))
        .unwrap();
    w.screenshot("invitation-bloquee").unwrap();
    w.click_button("Renvoyer").unwrap();
    w.wait_text(".consent table", Some("en attente de réponse"))
        .unwrap();
    let seen = answer(0);
    assert_eq!(seen["final"]["title"], "Consentement enregistré", "{seen}");

    let w = &mut d.window;
    w.click_button("Actualiser").unwrap();
    w.wait_text("[data-testid=consent-in-force]", None).unwrap();
    w.wait_text(".consent table", Some("Consentement donné"))
        .unwrap();
    w.wait_absent(".consent", "pas de consentement en vigueur")
        .unwrap();
    w.screenshot("consentement-donne").unwrap();

    // Served: the act carries the consent mention, which pdftotext finds in the deposit.
    let act = d.world.act("commandement-bernard.pdf");
    d.window.drop_files(&[&act]).unwrap();
    d.window
        .wait_text("section", Some("commandement-bernard.pdf"))
        .unwrap();
    let now = chrono::Utc::now();
    if sceau_core::hours::service_allowed(now, None, None, &sceau_core_calendar()).is_err() {
        // Outside the legal hours (CPC 664) when the test runs: a judge's permission.
        d.window.wait_text("label[for=sig-judge]", None).unwrap();
        d.window
            .type_into("#sig-judge", sceau_e2e::PERMISSION)
            .unwrap();
    }
    d.window.type_into("#sig-pin", &d.world.office.pin).unwrap();
    d.confirm_service("REF-CONSENTEMENT-1").unwrap();
    d.window
        .wait_text("p.success", Some("Signification déposée le"))
        .unwrap();
    d.window.screenshot("consentement-signifie").unwrap();
    d.window.click_button("Voir le détail").unwrap();
    d.window
        .wait_text(
            "section[aria-labelledby=detail-title]",
            Some("5. Historique"),
        )
        .unwrap();
    d.window.click_button("Ouvrir l'archive").unwrap();
    d.window
        .wait_text("[role=dialog] h2", Some("Archive de l'acte signifié"))
        .unwrap();
    let zip_path = std::fs::read_dir(&d.downloads)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "zip"))
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let name = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().to_owned())
        .find(|n| n.ends_with(".pdf"))
        .unwrap();
    let mut pdf = Vec::new();
    zip.by_name(&name).unwrap().read_to_end(&mut pdf).unwrap();
    let pdf_path = d.world.dir.path().join("depose.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&pdf_path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
    for part in ["consenti", "662-1", "748-1"] {
        assert!(text.contains(part), "{part}: {text}");
    }
}
