//! One rule for what a service must say (`sceau_core::draft`): the form and every EDI line are
//! held to the same limits the window shows. The requérant's length and control characters used
//! to be checked by the window only: a CLI or EDI service could put 10,000 characters or a line
//! break on the plain letter.

use std::sync::Arc;

use chrono::Weekday;

use crate::{next, request, serve, world};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_and_an_edi_line_refuse_the_same_drafts_with_the_same_codes() {
    let w = world(next(Weekday::Tue, 10)).await;
    let long = "R".repeat(sceau_app::REQUERANT_MAX + 1);
    let cases = [
        (long.as_str(), "draft.requerant_too_long"),
        ("SA\tCREANCIER", "draft.requerant_control"),
        ("   ", "draft.no_requerant"),
    ];
    for (i, (requerant, code)) in cases.iter().enumerate() {
        let mut req = request(&w, &format!("DRAFT-{i}"));
        req.requerant = (*requerant).to_owned();
        let e = serve(&w, &req).await.unwrap_err();
        assert_eq!(e.code(), *code, "{}", e.message_fr());
    }
    // Exactly at the limit, in accented characters (twice as many bytes): accepted.
    let mut req = request(&w, "DRAFT-OK");
    req.requerant = "É".repeat(sceau_app::REQUERANT_MAX);
    let out = serve(&w, &req).await.unwrap();
    assert!(out.deposit.is_some(), "{:?}", out.queued_reason);
    let queued = w.app.outbox_list().unwrap().len();

    // The same drafts as lines of a batch: every line refused with the form's code.
    let dir = w.act.parent().unwrap();
    let manifest = dir.join("lot.csv");
    let mut csv = String::from("reference;destinataire;nature;requerant;fichiers\n");
    for (i, (requerant, _)) in cases.iter().enumerate() {
        csv.push_str(&format!(
            "EDI-DRAFT-{i};73282932000074;SAISIE_ATTRIBUTION;{requerant};acte.pdf\n"
        ));
    }
    csv.push_str(&format!(
        "{};73282932000074;SAISIE_ATTRIBUTION;SA CREANCIER;acte.pdf\n",
        "X".repeat(sceau_app::REFERENCE_MAX + 1)
    ));
    std::fs::write(&manifest, csv).unwrap();
    let req = sceau_app::EdiRequest {
        manifest,
        offline: true,
        stamp_consent: false,
        signature_certificate: None,
    };
    let sink: sceau_app::ProgressSink = Arc::new(|_| {});
    let e = w.app.edi_import(&req, &w.cred, sink).await.unwrap_err();
    let sceau_app::Error::EdiInvalid { lines } = &e else {
        panic!("{e:?}");
    };
    let got: Vec<(usize, &str)> = lines.iter().map(|l| (l.line, l.code.as_str())).collect();
    assert_eq!(
        got,
        [
            (2, "draft.requerant_too_long"),
            (3, "draft.requerant_control"),
            (4, "draft.no_requerant"),
            (5, "draft.reference_too_long"),
        ]
    );
    assert!(
        lines[0].message.starts_with("Ligne 2 : "),
        "{}",
        lines[0].message
    );
    assert_eq!(
        w.app.outbox_list().unwrap().len(),
        queued,
        "nothing of the batch queued"
    );
}

/// A batch's deposits start while its later lines are still being signed (24 lines: six chunks
/// of four, one vault connection for the whole batch): the outbox is sent
/// as each chunk is queued, not after the whole batch (a bank's thousand garnishments reach the
/// vault from the first minute).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_deposits_its_first_lines_before_its_last_are_queued() {
    let w = world(next(Weekday::Tue, 10)).await;
    let dir = w.act.parent().unwrap();
    let manifest = dir.join("lot-chevauche.csv");
    let mut csv = String::from("reference;destinataire;nature;requerant;fichiers\n");
    for i in 0..24 {
        csv.push_str(&format!(
            "CHEV-{i:02};banque-test;SAISIE_ATTRIBUTION;SA CREANCIER;acte.pdf\n"
        ));
    }
    std::fs::write(&manifest, csv).unwrap();
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink: sceau_app::ProgressSink = {
        let events = events.clone();
        Arc::new(move |p| events.lock().unwrap().push(p))
    };
    let req = sceau_app::EdiRequest {
        manifest,
        offline: false,
        stamp_consent: false,
        signature_certificate: None,
    };
    let report = w.app.edi_import(&req, &w.cred, sink).await.unwrap();
    assert_eq!(report.prepared.len(), 24);
    assert_eq!(report.outbox.as_ref().unwrap().sent.len(), 24, "{report:?}");
    let events = events.lock().unwrap();
    let first_deposit = events
        .iter()
        .position(|p| {
            matches!(
                p,
                sceau_app::Progress::Step {
                    step: sceau_app::Step::Deposit,
                    status: sceau_app::StepStatus::Running,
                    ..
                }
            )
        })
        .expect("a deposit");
    let last_queued = events
        .iter()
        .rposition(|p| {
            matches!(
                p,
                sceau_app::Progress::EdiLine {
                    stage: sceau_app::EdiStage::Queued,
                    ..
                }
            )
        })
        .expect("queued lines");
    assert!(
        first_deposit < last_queued,
        "the first deposit (event {first_deposit}) started after the last line was queued (event {last_queued})"
    );
}
