//! The portal end to end in a real browser: headless Debian Chromium driven by Playwright
//! (`tests/portal/portal.spec.mjs`, playwright-core pinned by its package-lock.json, installed
//! with `npm ci` when missing; no browser download). It opens the link from the notification
//! e-mail, types the code from the loopback SMS gateway, sees the act and downloads it; the
//! office's service then shows "remise à personne" with its attestation.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use sceau_vault::notify;

fn spec_dir() -> PathBuf {
    sceau_testsupport::portal::spec_dir()
}

fn ensure_playwright() {
    sceau_testsupport::portal::ensure_playwright().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_opens_the_link_types_the_code_and_downloads_the_act() {
    ensure_playwright();
    let side = PortalSide::start(Backend::Embedded, |_| {}).await;
    let (h, smtp, sms) = (&side.h, &side.smtp, &side.sms);

    let row = recipient_row(
        "marie",
        sceau_proto::RecipientKind::Person,
        "Marie Martin".into(),
        Some("marie@exemple.test"),
        Some("+33611223344"),
    );
    let given = (tuesday_morning() - chrono::Duration::days(30)).date_naive();
    add_recipient_with_consent(h, &row, given, "formulaire");
    let ids = office_ids(&h.ca, "Jean Dupont", "Etude Dupont");
    let office = bound_client(h, &ids.auth, "9991").await;
    let pkg = simple_package(&ids.sign, "marie", "SIGNIFICATION_DE_JUGEMENT", "JUGEMENT1");
    let r = put_package(h, &office, "cle-navigateur-1", &pkg).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let receipt: sceau_proto::DepositReceipt = r.json().await.unwrap();
    let act = receipt.documents[0].clone();

    notify::enqueue_new(&h.vault).await.unwrap();
    assert_eq!(notify::send_due(&h.vault).await.unwrap(), (2, 0));
    let mail = smtp.messages().unwrap().pop().unwrap();
    let start = mail.body.find("https://").unwrap();
    let link = mail.body[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();

    let out = tempfile::tempdir().unwrap();
    let spec = spec_dir().join("portal.spec.mjs");
    let (link2, sink, act2, out2) = (
        link.clone(),
        sms.received_url(),
        act.clone(),
        out.path().to_owned(),
    );
    let run = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(&spec)
            .env("SCEAU_PORTAL_LINK", link2)
            .env("SCEAU_SMS_SINK", sink)
            .env("SCEAU_ACT_NAME", act2)
            .env("SCEAU_OUT", out2)
            .output()
            .expect("node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(
        run.status.success(),
        "spec failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let seen: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert!(
        seen["notice"].as_str().unwrap().contains("par SMS"),
        "{seen}"
    );
    assert_eq!(seen["title"], "Vos actes");
    assert_eq!(seen["listed"], true);
    assert_eq!(seen["before"], "Non consulté");
    assert!(
        seen["after"].as_str().unwrap().starts_with("Consulté le "),
        "{seen}"
    );
    assert_eq!(seen["state"], "Remise à personne");
    assert_eq!(seen["file"], act.as_str());
    assert_eq!(seen["header"], "%PDF-");
    let downloaded = std::fs::read(out.path().join(&act)).unwrap();
    assert_eq!(downloaded, pkg_act(&pkg.0, &act));

    // The office's service: "remise à personne" with its attestation in the office's vault
    // (filed off the request path: wait for it).
    sceau_vault::delivery::settled(&h.vault).await;
    let d: sceau_proto::ServiceDetail = get_json(
        &office,
        h.url(&format!("/v1/services/{}", receipt.deposit_id)),
    )
    .await;
    assert_eq!(d.act.state, sceau_proto::DeliveryState::InPerson);
    let notice = d.delivery_notice.expect("delivery notice");
    assert_eq!(notice.state, "Remise à personne");
    assert_eq!(
        notice.file_name,
        sceau_core::naming::delivery_notice_name(&act)
    );
    let r = office
        .get(h.url("/v1/vault/file"))
        .query(&[("path", notice.path.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let pdf = r.bytes().await.unwrap();
    assert!(sceau_pdfa::check_pdfa1b(&pdf).conformant);
    assert!(d.history.iter().any(|e| e
        .message
        .starts_with("Création de l'attestation de remise à personne")));
}

/// The act's bytes inside the deposited package.
fn pkg_act(zip_bytes: &[u8], name: &str) -> Vec<u8> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    let mut out = Vec::new();
    z.by_name(name).unwrap().read_to_end(&mut out).unwrap();
    out
}

/// Chromium answers three invitations: one accepted (the person becomes servable), one refused
/// and one locked out by wrong codes, and opens a fourth past its answering time (none of those
/// three servable), each page saying where it stands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_consents_refuses_locks_out_and_finds_an_expired_invitation() {
    ensure_playwright();
    let side = PortalSide::start(Backend::Embedded, |_| {}).await;
    let (h, smtp, sms, portal_addr) = (&side.h, &side.smtp, &side.sms, side.portal);
    let ids = office_ids(&h.ca, "Jeanne DUPONT", "Etude Dupont");
    let office = bound_client(h, &ids.auth, "9991").await;
    let nature = "SIGNIFICATION_DE_JUGEMENT";
    let mut outcomes = Vec::new();
    for (id, mobile, answer, wrong) in [
        ("alice", "+33611000001", "accepter", 1),
        ("bruno", "+33611000002", "refuser", 0),
        (
            "chloe",
            "+33611000003",
            "accepter",
            h.config.portal.max_code_attempts,
        ),
    ] {
        let email = format!("{id}@exemple.test");
        let row = recipient_row(
            id,
            sceau_proto::RecipientKind::Person,
            format!("Personne {id}"),
            Some(&email),
            Some(mobile),
        );
        tokio::task::block_in_place(|| {
            sceau_vault::store::sql::tx(h.vault.meta.as_ref(), |sql| {
                sceau_vault::store::meta::upsert_recipient(sql, &row)
            })
            .unwrap();
        });
        let r = office
            .post(h.url(&format!("/v1/recipients/{id}/invitations")))
            .json(&serde_json::json!({"natures": [nature]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let token = sceau_testsupport::portal::invitation_link(smtp, &email).unwrap();
        let link = format!(
            "https://127.0.0.1:{}/portail/consentement/{token}",
            portal_addr.port()
        );
        let (s, m) = (smtp, sms);
        let seen = tokio::task::block_in_place(|| {
            sceau_testsupport::portal::chromium_answer(&link, s, m, answer, wrong)
        })
        .unwrap();
        let invitation = seen["invitation"].as_str().unwrap();
        assert!(invitation.contains("Maître Jeanne DUPONT"), "{seen}");
        assert!(invitation.contains("Signification de jugement"), "{seen}");
        assert_eq!(seen["codesPage"], "Confirmez votre réponse", "{seen}");
        // Each deposit to the person: accepted only after a consent.
        let pkg = simple_package(&ids.sign, id, nature, &format!("NAV{id}"));
        let r = put_package(h, &office, &format!("cle-navigateur-{id}"), &pkg).await;
        outcomes.push((id, seen, r.status().as_u16()));
    }
    let (_, alice, alice_deposit) = &outcomes[0];
    assert!(
        alice["refusedTries"][0]
            .as_str()
            .unwrap()
            .contains("Il vous reste"),
        "{alice}"
    );
    assert_eq!(
        alice["final"]["title"], "Consentement enregistré",
        "{alice}"
    );
    assert_eq!(*alice_deposit, 200);
    let (_, bruno, bruno_deposit) = &outcomes[1];
    assert_eq!(bruno["final"]["title"], "Invitation refusée", "{bruno}");
    assert_eq!(*bruno_deposit, 422);
    let (_, chloe, chloe_deposit) = &outcomes[2];
    assert_eq!(chloe["final"]["title"], "Invitation bloquée", "{chloe}");
    assert_eq!(*chloe_deposit, 422);

    // An invitation not answered in time: two days later Chromium finds it expired, and the
    // person is not servable.
    let row = recipient_row(
        "denis",
        sceau_proto::RecipientKind::Person,
        "Personne denis".into(),
        Some("denis@exemple.test"),
        Some("+33611000004"),
    );
    tokio::task::block_in_place(|| {
        sceau_vault::store::sql::tx(h.vault.meta.as_ref(), |sql| {
            sceau_vault::store::meta::upsert_recipient(sql, &row)
        })
        .unwrap();
    });
    let r = office
        .post(h.url("/v1/recipients/denis/invitations"))
        .json(&serde_json::json!({"natures": [nature], "days": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let token = sceau_testsupport::portal::invitation_link(smtp, "denis@exemple.test").unwrap();
    let link = format!(
        "https://127.0.0.1:{}/portail/consentement/{token}",
        portal_addr.port()
    );
    side.h
        .clock
        .set(tuesday_morning() + chrono::Duration::days(2));
    let seen = tokio::task::block_in_place(|| {
        sceau_testsupport::portal::chromium_answer(&link, smtp, sms, "accepter", 0)
    })
    .unwrap();
    assert_eq!(seen["final"]["title"], "Invitation expirée", "{seen}");
    let pkg = simple_package(&ids.sign, "denis", nature, "NAVdenis");
    let r = put_package(h, &office, "cle-navigateur-denis", &pkg).await;
    assert_eq!(r.status(), 422);
}
