//! The clerk's choices reach the app: the signature certificate picked by its serial, and the
//! office's Alsace-Moselle calendar.

use std::io::Read;
use std::sync::{Arc, Mutex};

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use sceau_app::ServeOptions;
use sceau_testsupport::pki::{IssueRequest, KeySpec, Profile};

use crate::{request, serve, world, world_with, World};

/// 10:00 in Paris on the next 26 December that is neither a Sunday nor too close to today:
/// an open day in the national calendar, a public holiday in Alsace-Moselle.
fn saint_etienne() -> chrono::DateTime<Utc> {
    let today = Utc::now().date_naive();
    let mut year = today.year();
    loop {
        let d = NaiveDate::from_ymd_opt(year, 12, 26).unwrap();
        if d.weekday() != Weekday::Sun && d > today + Duration::days(1) {
            return paris(d, 10);
        }
        year += 1;
    }
}

fn paris(d: NaiveDate, hour: u32) -> chrono::DateTime<Utc> {
    sceau_core::PARIS
        .from_local_datetime(&d.and_hms_opt(hour, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// The next opening after `at` in Alsace-Moselle: the first working day after 26 December
/// (Sunday skipped), at 06:00.
fn next_alsace_opening(at: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    let mut d = at.with_timezone(&sceau_core::PARIS).date_naive();
    let cal = sceau_core::calendar::Calendar {
        alsace_moselle: true,
    };
    d = cal.first_working_day_after(d);
    paris(d, 6)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_26_december_the_national_calendar_serves_now() {
    let at = saint_etienne();
    let w = world(at).await;
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
    assert!(card.reception.unwrap().open);
    let out = serve(&w, &request(&w, "NAT-2612")).await.unwrap();
    assert!(out.deposit.is_some(), "{out:?}");
    assert_eq!(out.scheduled_for, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_26_december_alsace_moselle_is_closed_and_schedules_the_next_working_day() {
    let at = saint_etienne();
    let w = world_with(at, true).await;
    assert!(w.app.config().calendar().alsace_moselle);
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
    let rc = card.reception.unwrap();
    assert!(!rc.open);
    assert_eq!(rc.reason.as_deref(), Some("hours.public_holiday"));
    let message = rc.message.unwrap();
    assert!(message.contains("Saint-Étienne"), "{message}");
    let expected = next_alsace_opening(at);
    assert_eq!(rc.next_opening, Some(expected));

    // What the window's reception-status command calls: the session's card.
    w.app.open_session(&w.cred, None).await.unwrap();
    let card = w
        .app
        .recipient_card(
            "banque-test",
            Some("SAISIE_ATTRIBUTION"),
            None,
            sceau_app::Auth::Session,
        )
        .await
        .unwrap();
    let rc = card.reception.unwrap();
    assert!(!rc.open);
    assert!(rc.message.unwrap().contains("jour férié"));
    w.app.close_session();

    // Serving now prepares the act and schedules it for the next working day.
    let out = serve(&w, &request(&w, "AM-2612")).await.unwrap();
    assert!(out.deposit.is_none(), "{out:?}");
    assert_eq!(out.scheduled_for, Some(expected));
}

/// Adds a second certificate of `profile` (another serial, same holder) to the token under
/// the object id `id`; returns its serial (hex).
fn second_certificate(w: &World, profile: Profile, id: u8, label: &str) -> String {
    // A signature key asks for the PIN at each use, as on the office's key.
    let always_authenticate = matches!(profile, Profile::Signature);
    let cert =
        w.ca.issue(&IssueRequest {
            organization: Some("Etude 9991".into()),
            ..IssueRequest::new("Jeanne DUPONT", KeySpec::EcP256, profile)
        })
        .unwrap();
    w.hsm
        .import(
            &w.office.label,
            &w.office.pin,
            &[id],
            label,
            &cert,
            always_authenticate,
        )
        .unwrap();
    cert.serial_hex()
}

/// The serial (hex) of the signer of every `.p7s` in the package at `path`.
fn signer_serials(app: &sceau_app::App, path: &std::path::Path) -> Vec<String> {
    let sealed = std::fs::read(path).unwrap();
    assert!(
        sealed.starts_with(b"SCEAUF01"),
        "outbox packages are sealed"
    );
    let package = app.read_local_file(path).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(package)).unwrap();
    let names: Vec<String> = zip.file_names().map(str::to_owned).collect();
    let mut out = Vec::new();
    for n in names.iter().filter(|n| n.ends_with(".p7s")) {
        let mut p7s = Vec::new();
        zip.by_name(n).unwrap().read_to_end(&mut p7s).unwrap();
        let mut pdf = Vec::new();
        zip.by_name(n.trim_end_matches(".p7s"))
            .unwrap()
            .read_to_end(&mut pdf)
            .unwrap();
        let report = sceau_cades::verify_detached(&pdf, &p7s, &[], Utc::now()).unwrap();
        assert!(report.signature_ok && report.content_digest_ok);
        out.push(report.signer.unwrap().serial_hex.to_ascii_uppercase());
    }
    out
}

fn without_zeros(s: &str) -> String {
    s.to_ascii_uppercase().trim_start_matches('0').to_owned()
}

/// A world on a Tuesday morning whose token holds two qualified signature certificates, with
/// BANQUE TEST looked up once online (so services can then be prepared offline: the packages
/// stay in the outbox, where their signatures can be read). Returns the world and the two
/// signature serials (the office's first, the added second).
async fn with_two_signature_certificates() -> (World, String, String) {
    let w = world(crate::next(Weekday::Tue, 10)).await;
    let first = w.office.signature.serial_hex();
    let second = second_certificate(&w, Profile::Signature, 3, "Signature 2");
    assert_ne!(without_zeros(&first), without_zeros(&second));
    w.app
        .recipient_card("banque-test", None, None, sceau_app::Auth::Pin(&w.cred))
        .await
        .unwrap();
    (w, first, second)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chosen_signature_certificate_signs_and_a_bad_choice_signs_nothing() {
    let (w, first, second) = with_two_signature_certificates().await;
    let offline = |reference: &str| sceau_app::ServeRequest {
        offline: true,
        recipient: "banque-test".into(),
        ..request(&w, reference)
    };
    let serve = |reference: &'static str, options: ServeOptions| {
        let req = offline(reference);
        let w = &w;
        async move {
            w.app
                .serve(&req, &options, &w.cred, sceau_app::ignore())
                .await
        }
    };

    // Two signature certificates and no choice: refused, by the token's rule.
    let e = serve("CERT-0", ServeOptions::default()).await.unwrap_err();
    assert_eq!(e.code(), "token.several_certs", "{}", e.message_fr());
    // A serial that is not on the key: refused before anything is signed.
    let e = serve(
        "CERT-1",
        ServeOptions {
            signature_certificate: Some("0DEADBEEF".into()),
            ..ServeOptions::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "app.certificate_not_found");
    assert!(e.message_fr().contains("0DEADBEEF"), "{}", e.message_fr());
    // The authentication certificate chosen for a signature: refused (non-repudiation needed).
    let e = serve(
        "CERT-2",
        ServeOptions {
            signature_certificate: Some(w.office.authentication.serial_hex()),
            ..ServeOptions::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "app.certificate_wrong_role");
    assert!(
        e.message_fr().contains("non-répudiation"),
        "{}",
        e.message_fr()
    );
    // A signature certificate chosen as the authentication one: refused too.
    let e = serve(
        "CERT-3",
        ServeOptions {
            signature_certificate: Some(second.clone()),
            authentication_certificate: Some(first.clone()),
            ..ServeOptions::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "app.certificate_wrong_role");
    assert!(w.app.outbox_list().unwrap().is_empty());

    // Each chosen serial is the one in the CMS SignerInfo.
    for (reference, serial) in [("CERT-A", &second), ("CERT-B", &first)] {
        let out = serve(
            reference,
            ServeOptions {
                signature_certificate: Some(serial.to_ascii_lowercase()),
                authentication_certificate: Some(w.office.authentication.serial_hex()),
                ..ServeOptions::default()
            },
        )
        .await
        .unwrap();
        let item = w
            .app
            .outbox_list()
            .unwrap()
            .into_iter()
            .find(|o| o.id == out.outbox_id)
            .unwrap();
        let serials = signer_serials(&w.app, &item.package_path);
        assert_eq!(serials.len(), 1);
        assert_eq!(
            without_zeros(&serials[0]),
            without_zeros(serial),
            "{reference}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edi_batch_is_signed_with_the_chosen_certificate_and_a_bad_choice_imports_nothing() {
    let (w, first, second) = with_two_signature_certificates().await;
    // A batch of two lines beside the act (offline: the packages stay in the outbox).
    let dir = w.act.parent().unwrap();
    let manifest = dir.join("lot.csv");
    std::fs::write(
        &manifest,
        "reference;destinataire;nature;requerant;fichiers\n\
         EDI-CERT-1;banque-test;SAISIE_ATTRIBUTION;SA CREANCIER;acte.pdf\n\
         EDI-CERT-2;banque-test;SAISIE_ATTRIBUTION;SA CREANCIER;acte.pdf\n",
    )
    .unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let import = |serial: Option<String>| {
        let req = sceau_app::EdiRequest {
            manifest: manifest.clone(),
            offline: true,
            stamp_consent: false,
            signature_certificate: serial,
        };
        let events = events.clone();
        let sink: sceau_app::ProgressSink = Arc::new(move |p| events.lock().unwrap().push(p));
        let w = &w;
        async move { w.app.edi_import(&req, &w.cred, sink).await }
    };
    let nothing_imported = |what: &str| {
        assert!(w.app.outbox_list().unwrap().is_empty(), "{what}");
        for reference in ["EDI-CERT-1", "EDI-CERT-2"] {
            assert!(w.app.service(reference).is_err(), "{what}: {reference}");
        }
        // Refused before any line was converted.
        let events = std::mem::take(&mut *events.lock().unwrap());
        assert!(
            !events.iter().any(|p| matches!(
                p,
                sceau_app::Progress::EdiLine {
                    stage: sceau_app::EdiStage::Converted | sceau_app::EdiStage::Queued,
                    ..
                }
            )),
            "{what}: {events:?}"
        );
    };

    // Two signature certificates and no choice: refused by the token's rule, before conversion.
    let e = import(None).await.unwrap_err();
    assert_eq!(e.code(), "token.several_certs", "{}", e.message_fr());
    nothing_imported("no choice");
    // A serial that is not on the key.
    let e = import(Some("0DEADBEEF".into())).await.unwrap_err();
    assert_eq!(e.code(), "app.certificate_not_found");
    assert!(e.message_fr().contains("0DEADBEEF"), "{}", e.message_fr());
    nothing_imported("not on the key");
    // The authentication certificate: not a signature certificate.
    let e = import(Some(w.office.authentication.serial_hex()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "app.certificate_wrong_role");
    nothing_imported("wrong role");

    // The second certificate chosen (any case): every CMS SignerInfo of every line names it.
    let report = import(Some(second.to_ascii_lowercase())).await.unwrap();
    assert_eq!(report.prepared.len(), 2, "{report:?}");
    let outbox = w.app.outbox_list().unwrap();
    assert_eq!(outbox.len(), 2);
    for item in &outbox {
        let serials = signer_serials(&w.app, &item.package_path);
        assert_eq!(serials.len(), 1, "one act per line");
        for s in &serials {
            assert_eq!(without_zeros(s), without_zeros(&second));
            assert_ne!(without_zeros(s), without_zeros(&first));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_authenticates_with_the_chosen_certificate_and_the_form_must_match_it() {
    let w = world(crate::next(Weekday::Tue, 10)).await;
    let first = w.office.authentication.serial_hex();
    let second = second_certificate(&w, Profile::Authentication, 4, "Authentification 2");

    // Two authentication certificates and no choice: refused by the token's rule.
    let e = w.app.open_session(&w.cred, None).await.unwrap_err();
    assert_eq!(e.code(), "token.several_certs");
    let e = w
        .app
        .open_session(&w.cred, Some("0DEADBEEF"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "app.certificate_not_found");
    let e = w
        .app
        .open_session(&w.cred, Some(&w.office.signature.serial_hex()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "app.certificate_wrong_role");
    assert!(!w.app.session_open());

    // The chosen certificate is the one the vault sees: the second is not bound to the office.
    let info = w.app.open_session(&w.cred, Some(&second)).await.unwrap();
    assert_eq!(
        without_zeros(&info.certificate.serial_hex),
        without_zeros(&second)
    );
    assert!(
        info.office.is_none(),
        "a new certificate is a first connection"
    );
    // The service form names another authentication certificate than the session's: refused.
    let e = w
        .app
        .serve(
            &request(&w, "AUTH-1"),
            &ServeOptions {
                authentication_certificate: Some(first.clone()),
                ..ServeOptions::default()
            },
            &w.cred,
            sceau_app::ignore(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "app.certificate_not_session");
    assert!(
        e.message_fr().contains("Reconnectez-vous"),
        "{}",
        e.message_fr()
    );

    // Connected with the bound certificate, the same form is served.
    let info = w.app.open_session(&w.cred, Some(&first)).await.unwrap();
    assert_eq!(info.office.unwrap().number, "9991");
    let out = w
        .app
        .serve(
            &request(&w, "AUTH-2"),
            &ServeOptions {
                authentication_certificate: Some(first),
                ..ServeOptions::default()
            },
            &w.cred,
            sceau_app::ignore(),
        )
        .await
        .unwrap();
    assert!(out.deposit.is_some(), "{out:?}");
}

/// 10:00 in Paris on the next 24 December from which the first working day differs between the
/// national calendar and Alsace-Moselle's (26 December not a Sunday).
fn christmas_eve() -> chrono::DateTime<Utc> {
    let today = Utc::now().date_naive();
    let mut year = today.year();
    loop {
        let eve = NaiveDate::from_ymd_opt(year, 12, 24).unwrap();
        let st_etienne = NaiveDate::from_ymd_opt(year, 12, 26).unwrap();
        if eve.weekday() != Weekday::Sun
            && st_etienne.weekday() != Weekday::Sun
            && eve > today + Duration::days(1)
        {
            return paris(eve, 10);
        }
        year += 1;
    }
}

async fn letter_date_of(alsace_moselle: bool) -> NaiveDate {
    use sceau_core::evidence::EvidenceEvent as E;
    let at = christmas_eve();
    let w = world_with(at, alsace_moselle).await;
    let out = serve(&w, &request(&w, "DOM-2412")).await.unwrap();
    let deposit = out
        .deposit
        .expect("deposited on 24 December")
        .receipt
        .deposit_id;
    w.app
        .sync(sceau_app::Auth::Pin(&w.cred), sceau_app::ignore(), 0)
        .await
        .unwrap();
    crate::vault_event(
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
    let letter = w.app.letter("DOM-2412").unwrap();
    assert!(
        letter
            .text
            .contains(&letter.date.format("%d/%m/%Y").to_string()),
        "{}",
        letter.text
    );
    letter.date
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plain_letter_after_24_december_follows_the_office_calendar() {
    let eve = christmas_eve()
        .with_timezone(&sceau_core::PARIS)
        .date_naive();
    let national = sceau_core::calendar::Calendar::NATIONAL.first_working_day_after(eve);
    let alsace = sceau_core::calendar::Calendar {
        alsace_moselle: true,
    }
    .first_working_day_after(eve);
    assert_ne!(national, alsace);
    assert_eq!(national.day(), 26);
    assert_eq!(letter_date_of(false).await, national);
    assert_eq!(letter_date_of(true).await, alsace);
}
