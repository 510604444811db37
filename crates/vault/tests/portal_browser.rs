//! The portal end to end in a real browser: headless Debian Chromium driven by Playwright
//! (`tests/portal/*.spec.mjs`, playwright-core pinned by its package-lock.json, installed with
//! `npm ci` when missing; no browser download; axe-core from `ui/node_modules`). A person walks
//! two acts on a phone and on a laptop (screenshots in `target/portal-screenshots`); invitations
//! are accepted, refused, locked out and found expired.
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

/// Where the walk's screenshots go: `target/portal-screenshots/<page>-<w>x<h>.png` under the
/// workspace.
fn screenshots_dir() -> PathBuf {
    spec_dir().join("../../target/portal-screenshots")
}

/// The first day after `t` (same hour) on which an act may be served: not a Sunday nor a
/// public holiday.
fn next_serving_day(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::Datelike;
    let cal = sceau_core::calendar::Calendar::default();
    let mut next = t + chrono::Duration::days(1);
    while next.weekday() == chrono::Weekday::Sun || cal.is_public_holiday(next.date_naive()) {
        next += chrono::Duration::days(1);
    }
    next
}

/// One page of the walk as the spec measured it.
fn check_page(size: &str, name: &str, p: &serde_json::Value) {
    let (sw, iw) = (
        p["scrollWidth"].as_u64().unwrap(),
        p["innerWidth"].as_u64().unwrap(),
    );
    assert!(sw <= iw, "{name} at {size} scrolls sideways: {sw} > {iw}");
    assert_eq!(
        p["small"],
        serde_json::json!([]),
        "{name} at {size}: controls under 44 px"
    );
    assert!(
        p["fontSize"].as_f64().unwrap() >= 16.0,
        "{name} at {size}: {p}"
    );
    assert!(
        p["axe"]["rules"].as_u64().unwrap() > 0,
        "{name} at {size}: axe-core did not run"
    );
    let bad: Vec<&serde_json::Value> = p["axe"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(bad.is_empty(), "{name} at {size}: axe-core {bad:?}");
}

/// A person with two acts — one left unread past its day ("à domicile"), one opened in the walk
/// ("à personne") — walks the portal in Chromium on a phone (390×844) and on a laptop
/// (1366×768): link, code, list, the act's page, the act in the viewer, its download, the other
/// act, logout. No page scrolls sideways, no control is under 44 px, axe-core finds nothing
/// serious or critical, and every page is saved as a screenshot; the act's page names the
/// commissaire, the office number, the nature, what the state means and what the vault verified
/// of the signature. The office's service then shows "remise à personne" with its attestation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_walks_two_acts_on_a_phone_and_a_laptop() {
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
    let ids = office_ids(&h.ca, "Jeanne DUPONT", "Etude Dupont");
    let office = bound_client(h, &ids.auth, "9991").await;
    // The act left unread: served on Tuesday, "à domicile" once its day is over.
    let home_pkg = simple_package(&ids.sign, "marie", "COMMANDEMENT_DE_PAYER", "COMMANDEMENT1");
    let r = put_package(h, &office, "cle-navigateur-domicile", &home_pkg).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let home: sceau_proto::DepositReceipt = r.json().await.unwrap();
    let day = next_serving_day(tuesday_morning());
    h.clock.set(day);
    sceau_vault::delivery::decide_due(&h.vault).await.unwrap();
    // The act opened in the walk, served the next serving day.
    let pkg = simple_package(&ids.sign, "marie", "SIGNIFICATION_DE_JUGEMENT", "JUGEMENT1");
    let r = put_package(h, &office, "cle-navigateur-1", &pkg).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let receipt: sceau_proto::DepositReceipt = r.json().await.unwrap();
    let act = receipt.documents[0].clone();

    notify::enqueue_new(&h.vault).await.unwrap();
    assert_eq!(notify::send_due(&h.vault).await.unwrap(), (4, 0));
    let mail = smtp.messages().unwrap().pop().unwrap();
    let start = mail.body.find("https://").unwrap();
    let link = mail.body[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();

    let out = tempfile::tempdir().unwrap();
    let shots = screenshots_dir();
    let spec = spec_dir().join("portal.spec.mjs");
    let axe = sceau_testsupport::portal::axe_core().expect("axe-core: npm ci in ui/");
    let env = [
        ("SCEAU_PORTAL_LINK", link),
        ("SCEAU_SMS_SINK", sms.received_url()),
        ("SCEAU_PERSON_ID", receipt.deposit_id.clone()),
        ("SCEAU_PERSON_ACT", act.clone()),
        ("SCEAU_HOME_ID", home.deposit_id.clone()),
        ("SCEAU_OUT", out.path().display().to_string()),
        ("SCEAU_SHOTS", shots.display().to_string()),
        ("SCEAU_AXE", axe.display().to_string()),
        ("SCEAU_SIZES", "360x740,390x844,1366x768".to_owned()),
    ];
    let run = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(&spec)
            .envs(env)
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
    let runs = seen["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    for (i, r) in runs.iter().enumerate() {
        let size = r["size"].as_str().unwrap();
        for (name, p) in r["pages"].as_object().unwrap() {
            check_page(size, name, p);
            assert!(
                shots.join(format!("{name}-{size}.png")).exists(),
                "{name}-{size}.png"
            );
        }
        assert!(r["notice"].as_str().unwrap().contains("par SMS"), "{r}");
        assert_eq!(r["listTitle"], "Vos actes");
        let list = r["list"].as_str().unwrap();
        assert!(
            list.contains("Commandement de payer") && list.contains(&act),
            "{list}"
        );
        assert!(list.contains("Remise à domicile"), "{list}");
        // First walk: the new act is unread until viewed; second: already "à personne".
        let before = r["personBefore"].as_str().unwrap();
        if i == 0 {
            assert_eq!(before, "En attente de consultation");
            assert!(list.contains("Non consulté"), "{list}");
        } else {
            assert_eq!(before, "Remise à personne");
        }
        assert_eq!(r["view"]["status"], 200, "{r}");
        assert_eq!(r["view"]["type"], "application/pdf");
        assert!(
            r["view"]["disposition"]
                .as_str()
                .unwrap()
                .starts_with("inline"),
            "{r}"
        );
        assert_eq!(r["download"]["name"], act.as_str());
        assert_eq!(r["download"]["header"], "%PDF-");
        let downloaded = std::fs::read(r["download"]["file"].as_str().unwrap()).unwrap();
        assert_eq!(downloaded, pkg_act(&pkg.0, &act));
        let person = r["person"].as_str().unwrap();
        for says in [
            "Signification de jugement",
            "Maître Jeanne DUPONT, commissaire de justice",
            "Numéro d'étude",
            "9991",
            "Remise à personne",
            "le jour même de son envoi",
            "il vous est donc signifié « à personne »",
            "Signé électroniquement par Jeanne DUPONT, commissaire de justice",
            "avec un certificat qualifié de signature électronique",
            "délivré par AC des commissaires de justice",
            "Le coffre-fort a vérifié cette signature lors du dépôt",
            "Vous ne reconnaissez pas cet acte ?",
        ] {
            assert!(person.contains(says), "{says}: {person}");
        }
        let home_text = r["home"].as_str().unwrap();
        for says in [
            "Commandement de payer",
            "Maître Jeanne DUPONT, commissaire de justice",
            "Remise à domicile",
            "il vous est donc signifié « à domicile »",
            "lettre simple",
        ] {
            assert!(home_text.contains(says), "{says}: {home_text}");
        }
        assert!(
            r["listAfter"].as_str().unwrap().contains("Consulté le "),
            "{r}"
        );
        assert!(
            r["session"]
                .as_str()
                .unwrap()
                .contains("Session ouverte jusqu'à"),
            "{r}"
        );
        assert_eq!(r["logout"], "Déconnecté");
        assert_eq!(r["afterLogout"], "Session expirée");
    }

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
    let d: sceau_proto::ServiceDetail =
        get_json(&office, h.url(&format!("/v1/services/{}", home.deposit_id))).await;
    assert_eq!(d.act.state, sceau_proto::DeliveryState::AtHome);
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
    assert!(
        sceau_testsupport::portal::axe_core().is_some(),
        "axe-core: npm ci in ui/"
    );
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
        for (name, p) in seen["pages"].as_object().unwrap() {
            check_page("390x844", &format!("consentement {id} {name}"), p);
        }
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
