//! The consent flow of the platform article against a real vault, its portal, a real SMTP
//! server and an SMS gateway on loopback: the office invites a person, the person proves both
//! contacts with a code each and consents; the register, the journal, the sealed declaration
//! (checked with `openssl cms`) and the proof bundle say so; the person becomes servable, then
//! revokes, and deposits after the revocation are refused while the earlier one stays. A
//! refusal, an expired invitation and a lock-out leave the person not servable; offices and
//! recipients cannot reach each other's invitations; bad input stores nothing.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::process::Command;

use chrono::Duration;
use common::*;
use sceau_proto::{Invitation, InvitationState};
use sceau_testsupport::pki::Identity;
use sceau_testsupport::portal::{invitation_codes, invitation_link};
use sceau_vault::store::meta;
use sceau_vault::store::sql::tx;

const NATURE: &str = "COMMANDEMENT_DE_PAYER";

struct World {
    side: PortalSide,
    office: reqwest::Client,
    signer: Identity,
}

impl std::ops::Deref for World {
    type Target = PortalSide;
    fn deref(&self) -> &PortalSide {
        &self.side
    }
}

async fn world(backend: Backend) -> World {
    let side = PortalSide::start(backend, |_| {}).await;
    let ids = office_ids(&side.h.ca, "Jeanne DUPONT", "Etude Dupont");
    let office = bound_client(&side.h, &ids.auth, "9991").await;
    World {
        side,
        office,
        signer: ids.sign,
    }
}

/// A person the vault knows without any consent.
fn person(w: &World, id: &str, email: Option<&str>, mobile: Option<&str>) {
    let row = recipient_row(
        id,
        sceau_proto::RecipientKind::Person,
        format!("Personne {id}"),
        email,
        mobile,
    );
    tokio::task::block_in_place(|| {
        tx(w.h.vault.meta.as_ref(), |sql| {
            meta::upsert_recipient(sql, &row)
        })
        .unwrap();
    });
}

async fn invite(
    w: &World,
    c: &reqwest::Client,
    rid: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    c.post(w.h.url(&format!("/v1/recipients/{rid}/invitations")))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn invited(w: &World, rid: &str) -> Invitation {
    let r = invite(w, &w.office, rid, serde_json::json!({"natures": [NATURE]})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

fn purl(w: &World, path: &str) -> String {
    w.side.purl(path)
}

/// The link of the last invitation e-mailed to `to`.
fn link_sent_to(w: &World, to: &str) -> String {
    invitation_link(&w.smtp, to).unwrap()
}

/// The last code e-mailed to `to` and the last sent by SMS to `mobile`.
fn codes(w: &World, to: &str, mobile: &str) -> (String, String) {
    invitation_codes(&w.smtp, &w.sms, to, mobile).unwrap()
}

/// A portal visitor: a browser-like client and the CSRF cookie of the page it opened.
struct Visit {
    c: reqwest::Client,
    csrf: String,
}

async fn open(w: &World, token: &str) -> (Visit, reqwest::StatusCode, String) {
    let c = browser(&w.h);
    let r = c
        .get(purl(w, &format!("/portail/consentement/{token}")))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let csrf = cookie_value(&set_cookies(&r), "sceau_csrf").unwrap_or_default();
    let html = r.text().await.unwrap();
    (Visit { c, csrf }, status, html)
}

async fn ask_codes(w: &World, v: &Visit, token: &str) -> (reqwest::StatusCode, String) {
    let r =
        v.c.post(purl(w, &format!("/portail/consentement/{token}/codes")))
            .header(reqwest::header::COOKIE, format!("sceau_csrf={}", v.csrf))
            .form(&[("csrf", v.csrf.as_str())])
            .send()
            .await
            .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn answer(
    w: &World,
    v: &Visit,
    token: &str,
    codes: (&str, &str),
    reponse: &str,
) -> (reqwest::StatusCode, String) {
    let r =
        v.c.post(purl(w, &format!("/portail/consentement/{token}")))
            .header(reqwest::header::COOKIE, format!("sceau_csrf={}", v.csrf))
            .form(&[
                ("csrf", v.csrf.as_str()),
                ("code_courriel", codes.0),
                ("code_sms", codes.1),
                ("reponse", reponse),
            ])
            .send()
            .await
            .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Opens the link, asks for the codes and answers with the right ones.
async fn answer_rightly(
    w: &World,
    token: &str,
    email: &str,
    mobile: &str,
    reponse: &str,
) -> String {
    let (v, status, _) = open(w, token).await;
    assert_eq!(status, 200);
    let (status, _) = ask_codes(w, &v, token).await;
    assert_eq!(status, 200);
    let (e, s) = codes(w, email, mobile);
    let (status, html) = answer(w, &v, token, (&e, &s), reponse).await;
    assert_eq!(status, 200, "{html}");
    html
}

async fn deposit(w: &World, rid: &str, reference: &str) -> reqwest::Response {
    let pkg = simple_package(&w.signer, rid, NATURE, reference);
    put_package(&w.h, &w.office, &format!("cle-{reference}"), &pkg).await
}

async fn invitations(w: &World, c: &reqwest::Client, rid: &str) -> Vec<Invitation> {
    let l: sceau_proto::InvitationList =
        get_json(c, w.h.url(&format!("/v1/recipients/{rid}/invitations"))).await;
    l.invitations
}

fn journal_events(w: &World, id: &str) -> Vec<String> {
    let id = id.to_owned();
    tokio::task::block_in_place(|| {
        tx(w.h.vault.meta.as_ref(), move |sql| {
            meta::deposit_journal(sql, &id)
        })
        .unwrap()
    })
    .into_iter()
    .map(|l| l.event)
    .collect()
}

async fn consents_flow(backend: Backend) {
    let w = world(backend).await;
    let (email, mobile) = ("marie@exemple.test", "+33611223344");
    person(&w, "marie", Some(email), Some(mobile));
    // No consent: the vault refuses the deposit.
    let r = deposit(&w, "marie", "AVANT").await;
    assert_eq!(code(r).await, "no_consent");

    let i = invited(&w, "marie").await;
    assert_eq!(i.state, InvitationState::Pending);
    let token = link_sent_to(&w, email);
    let sms = w.sms.received();
    assert!(
        sms.iter()
            .any(|s| s.body.contains(&token) && s.body.contains("Maître Jeanne DUPONT")),
        "{sms:?}"
    );

    // The page names the office, the nature, what electronic service means.
    let (v, status, html) = open(&w, &token).await;
    assert_eq!(status, 200, "{html}");
    for part in [
        "Maître Jeanne DUPONT",
        "Commandement de payer",
        "à personne",
        "à domicile",
        "révoquer",
    ] {
        assert!(html.contains(part), "{part}: {html}");
    }
    let (status, html) = ask_codes(&w, &v, &token).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("m***@exemple.test") && html.contains("+33 * ** ** ** 44"),
        "{html}"
    );
    let (e, s) = codes(&w, email, mobile);
    // One wrong code of the two: refused, counted, nothing recorded.
    let wrong = if s == "000000" { "111111" } else { "000000" };
    let (status, html) = answer(&w, &v, &token, (&e, wrong), "accepter").await;
    assert_eq!(status, 401, "{html}");
    assert!(html.contains("Il vous reste"), "{html}");
    let (status, html) = answer(&w, &v, &token, (&e, &s), "accepter").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Consentement enregistré"), "{html}");
    // The same codes again: single use.
    let (status, _) = answer(&w, &v, &token, (&e, &s), "accepter").await;
    assert_ne!(status, 200);

    // The register: given now (the vault's clock), by the portal, for the nature proposed.
    let consents: sceau_proto::ConsentList =
        get_json(&w.office, w.h.url("/v1/recipients/marie/consents")).await;
    let c = &consents.consents[0];
    assert_eq!(
        (c.how.as_str(), c.natures.as_slice()),
        ("portail", [NATURE.to_owned()].as_slice())
    );
    assert_eq!(c.given_at, w.h.clock.now_for_test());
    let list = invitations(&w, &w.office, "marie").await;
    assert_eq!(list[0].state, InvitationState::Accepted);
    assert_eq!(list[0].consent_id.as_deref(), Some(c.id.as_str()));
    assert_eq!(journal_events(&w, &c.id), ["sceau:ConsentGiven"]);
    // The recipient got the declaration by e-mail.
    assert!(w
        .smtp
        .messages()
        .unwrap()
        .iter()
        .any(|m| m.to.contains(email) && m.subject.contains("Votre consentement")));

    // The sealed declaration in the office's vault: openssl verifies the seal, the proof
    // bundle verifies, and a changed byte does not.
    let listing: sceau_proto::VaultListing = get_json(
        &w.office,
        w.h.url(&format!(
            "/v1/vault?path={}",
            sceau_vault::portal::CONSENT_FOLDER
        )),
    )
    .await;
    let pdf_path = listing
        .entries
        .iter()
        .find(|e| e.path.ends_with(".pdf"))
        .unwrap()
        .path
        .clone();
    let get = |path: String| {
        let c = w.office.clone();
        let url = w.h.url("/v1/vault/file");
        async move {
            c.get(url)
                .query(&[("path", path)])
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .to_vec()
        }
    };
    let pdf = get(pdf_path.clone()).await;
    let p7s = get(format!("{pdf_path}.p7s")).await;
    let verdict = sceau_pdfa::check_pdfa1b(&pdf);
    assert!(verdict.conformant, "{:?}", verdict.violations);
    let text = sceau_pdfa::plain_text(&pdf).unwrap_or_default();
    assert!(
        text.contains("Commandement de payer") && text.contains("m***@exemple.test"),
        "{text}"
    );
    let dir = w.h.dir.path();
    std::fs::write(dir.join("declaration.pdf"), &pdf).unwrap();
    std::fs::write(dir.join("declaration.p7s"), &p7s).unwrap();
    let ca = w.h.config.data_dir.join(sceau_vault::keys::files::CA_CERT);
    let out = Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-in",
        ])
        .arg(dir.join("declaration.p7s"))
        .arg("-content")
        .arg(dir.join("declaration.pdf"))
        .arg("-CAfile")
        .arg(&ca)
        .args(["-out", "/dev/null"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bundle: sceau_proto::ProofBundle = get_json(
        &w.office,
        w.h.url(&format!("/v1/vault/proof?path={}", urlencode(&pdf_path))),
    )
    .await;
    assert_eq!(bundle.deposit_id.as_deref(), Some(c.id.as_str()));
    sceau_vault::proof::verify(&bundle, Some(&pdf)).unwrap();
    // The bundle's time-stamp over the declaration, checked by openssl.
    use base64::Engine;
    let tst = base64::engine::general_purpose::STANDARD
        .decode(&bundle.timestamp_token)
        .unwrap();
    std::fs::write(dir.join("declaration.tst"), tst).unwrap();
    let out = Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(dir.join("declaration.tst"))
        .arg("-data")
        .arg(dir.join("declaration.pdf"))
        .arg("-CAfile")
        .arg(&ca)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("Verification: OK"),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut changed = pdf.clone();
    let n = changed.len() / 2;
    changed[n] ^= 1;
    assert!(sceau_vault::proof::verify(&bundle, Some(&changed)).is_err());

    // Servable now.
    let r = deposit(&w, "marie", "PENDANT").await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let before: sceau_proto::DepositReceipt = r.json().await.unwrap();

    // A minute later the person revokes, with two new codes.
    w.h.clock
        .set(w.h.clock.now_for_test() + Duration::minutes(1));
    let html = answer_rightly(&w, &token, email, mobile, "revoquer").await;
    assert!(html.contains("Consentement révoqué"), "{html}");
    assert_eq!(
        journal_events(&w, &c.id),
        ["sceau:ConsentGiven", "sceau:ConsentRevoked"]
    );
    // For deposits after the revocation, not before: the earlier deposit stays.
    let r = deposit(&w, "marie", "APRES").await;
    let (status, body) = (r.status(), r.text().await.unwrap());
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("no_consent") && body.contains("révoqué"),
        "{body}"
    );
    let kept: serde_json::Value = get_json(
        &w.office,
        w.h.url(&format!("/v1/services/{}", before.deposit_id)),
    )
    .await;
    assert_eq!(kept["deposit_id"], before.deposit_id.as_str(), "{kept}");
    // The office's feed tells it.
    let feed: sceau_proto::FeedPage = get_json(&w.office, w.h.url("/v1/events?after=0")).await;
    let events: Vec<&str> = feed.events.iter().map(|e| e.event.as_str()).collect();
    assert!(
        events.contains(&"sceau:ConsentGiven") && events.contains(&"sceau:ConsentRevoked"),
        "{events:?}"
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

trait NowForTest {
    fn now_for_test(&self) -> chrono::DateTime<chrono::Utc>;
}
impl NowForTest for sceau_vault::config::FixedClock {
    fn now_for_test(&self) -> chrono::DateTime<chrono::Utc> {
        use sceau_vault::config::Clock;
        self.now()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_a_person_consents_on_the_portal_then_revokes() {
    consents_flow(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaled_a_person_consents_on_the_portal_then_revokes() {
    consents_flow(Backend::Scaled).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_an_expiry_and_a_lock_out_leave_the_person_not_servable() {
    let w = world(Backend::Embedded).await;
    // Refused.
    person(&w, "paul", Some("paul@exemple.test"), Some("+33622334455"));
    let i = invited(&w, "paul").await;
    let token = link_sent_to(&w, "paul@exemple.test");
    let html = answer_rightly(&w, &token, "paul@exemple.test", "+33622334455", "refuser").await;
    assert!(html.contains("Invitation refusée"), "{html}");
    assert_eq!(
        invitations(&w, &w.office, "paul").await[0].state,
        InvitationState::Refused
    );
    assert_eq!(journal_events(&w, &i.id), ["sceau:ConsentRefused"]);
    assert_eq!(
        code(deposit(&w, "paul", "REFUSE").await).await,
        "no_consent"
    );
    // A refused invitation cannot be sent again; a new one can.
    let r = w
        .office
        .post(w.h.url(&format!("/v1/invitations/{}/resend", i.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "invitation_answered");

    // Expired: one day to answer, two days later.
    person(&w, "lea", Some("lea@exemple.test"), Some("+33633445566"));
    let r = invite(
        &w,
        &w.office,
        "lea",
        serde_json::json!({"natures": [NATURE], "days": 1}),
    )
    .await;
    let i: Invitation = r.json().await.unwrap();
    let token = link_sent_to(&w, "lea@exemple.test");
    let start = w.h.clock.now_for_test();
    w.h.clock.set(start + Duration::days(2));
    let (v, status, html) = open(&w, &token).await;
    assert_eq!(status, 200);
    assert!(html.contains("Invitation expirée"), "{html}");
    // No form is offered; a forged one (its CSRF pair made up) gets the same answer.
    assert!(v.csrf.is_empty());
    let forged = Visit {
        c: v.c,
        csrf: "jeton".into(),
    };
    let (_, html) = ask_codes(&w, &forged, &token).await;
    assert!(html.contains("Invitation expirée"), "{html}");
    assert_eq!(
        invitations(&w, &w.office, "lea").await[0].state,
        InvitationState::Expired
    );
    assert_eq!(code(deposit(&w, "lea", "EXPIRE").await).await, "no_consent");
    // Sent again: a new link works, the old one no longer does.
    let r = w
        .office
        .post(w.h.url(&format!("/v1/invitations/{}/resend", i.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let fresh = link_sent_to(&w, "lea@exemple.test");
    assert_ne!(fresh, token);
    assert_eq!(open(&w, &token).await.1, 404);
    assert_eq!(open(&w, &fresh).await.1, 200);
    w.h.clock.set(start);

    // Locked: wrong codes until the limit.
    person(&w, "noe", Some("noe@exemple.test"), Some("+33644556677"));
    invited(&w, "noe").await;
    let token = link_sent_to(&w, "noe@exemple.test");
    let (v, _, _) = open(&w, &token).await;
    ask_codes(&w, &v, &token).await;
    let (e, s) = codes(&w, "noe@exemple.test", "+33644556677");
    let wrong = if e == "000000" { "111111" } else { "000000" };
    let max = w.h.config.portal.max_code_attempts;
    let mut last = (reqwest::StatusCode::OK, String::new());
    for _ in 0..max {
        last = answer(&w, &v, &token, (wrong, &s), "accepter").await;
    }
    assert_eq!(last.0, 403, "{}", last.1);
    assert!(last.1.contains("bloquée"), "{}", last.1);
    // Even the right codes no longer pass.
    let (status, _) = answer(&w, &v, &token, (&e, &s), "accepter").await;
    assert_eq!(status, 403);
    assert_eq!(
        invitations(&w, &w.office, "noe").await[0].state,
        InvitationState::Locked
    );
    assert_eq!(code(deposit(&w, "noe", "BLOQUE").await).await, "no_consent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offices_and_recipients_cannot_reach_each_others_invitations() {
    let w = world(Backend::Embedded).await;
    person(&w, "x", Some("x@exemple.test"), Some("+33655667788"));
    person(&w, "y", Some("y@exemple.test"), Some("+33666778899"));
    let ix = invited(&w, "x").await;
    invited(&w, "y").await;
    let (tx_, ty) = (
        link_sent_to(&w, "x@exemple.test"),
        link_sent_to(&w, "y@exemple.test"),
    );
    // Office B sees none of A's invitations and can neither resend nor withdraw them.
    let b = office_ids(&w.h.ca, "Paul MARTIN", "Etude Martin");
    let office_b = bound_client(&w.h, &b.auth, "9992").await;
    assert!(invitations(&w, &office_b, "x").await.is_empty());
    for action in ["resend", "withdraw"] {
        let r = office_b
            .post(w.h.url(&format!("/v1/invitations/{}/{action}", ix.id)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{action}");
    }
    // B may invite X itself: its invitation is its own.
    let r = invite(&w, &office_b, "x", serde_json::json!({"natures": [NATURE]})).await;
    assert_eq!(r.status(), 201);
    assert_eq!(invitations(&w, &w.office, "x").await.len(), 1);
    // Recipient Y cannot answer X's invitation with Y's codes, nor X's on Y's link.
    let (vx, _, _) = open(&w, &tx_).await;
    ask_codes(&w, &vx, &tx_).await;
    let (vy, _, _) = open(&w, &ty).await;
    ask_codes(&w, &vy, &ty).await;
    let (ye, ys) = codes(&w, "y@exemple.test", "+33666778899");
    let (xe, xs) = codes(&w, "x@exemple.test", "+33655667788");
    assert_eq!(answer(&w, &vx, &tx_, (&ye, &ys), "accepter").await.0, 401);
    assert_eq!(answer(&w, &vy, &ty, (&xe, &xs), "accepter").await.0, 401);
    // A form without its CSRF cookie is refused.
    let r = browser(&w.h)
        .post(purl(&w, &format!("/portail/consentement/{tx_}")))
        .form(&[
            ("csrf", "x"),
            ("code_courriel", xe.as_str()),
            ("code_sms", xs.as_str()),
            ("reponse", "accepter"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Neither X nor Y is servable.
    assert_eq!(code(deposit(&w, "x", "XAVIER1").await).await, "no_consent");
    // Office A withdraws its invitation of Y: the link then says so.
    let iy = invitations(&w, &w.office, "y").await.remove(0);
    let r = w
        .office
        .post(w.h.url(&format!("/v1/invitations/{}/withdraw", iy.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(open(&w, &ty).await.2.contains("Invitation retirée"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_invitations_are_refused_and_nothing_is_stored_or_sent() {
    let w = world(Backend::Embedded).await;
    person(
        &w,
        "sansmail",
        Some("pas-une-adresse"),
        Some("+33677889900"),
    );
    person(
        &w,
        "sansmobile",
        Some("ok@exemple.test"),
        Some("0123456789"),
    );
    person(&w, "ok", Some("ok2@exemple.test"), Some("+33688990011"));
    let cases = [
        (
            "sansmail",
            serde_json::json!({"natures": [NATURE]}),
            422,
            "invitation_no_email",
        ),
        (
            "sansmobile",
            serde_json::json!({"natures": [NATURE]}),
            422,
            "invitation_no_mobile",
        ),
        (
            "ok",
            serde_json::json!({"natures": []}),
            422,
            "invitation_no_nature",
        ),
        (
            "ok",
            serde_json::json!({"natures": ["PAS_UNE_NATURE"]}),
            422,
            "unknown_nature",
        ),
        (
            "ok",
            serde_json::json!({"natures": [NATURE], "days": 0}),
            422,
            "invitation_bad_days",
        ),
        (
            "ok",
            serde_json::json!({"natures": [NATURE], "days": 61}),
            422,
            "invitation_bad_days",
        ),
        (
            "ok",
            serde_json::json!({"natures": [NATURE], "consent_months": 0}),
            422,
            "invitation_bad_months",
        ),
        (
            "inconnu",
            serde_json::json!({"natures": [NATURE]}),
            404,
            "unknown_recipient",
        ),
    ];
    for (rid, body, status, expected) in cases {
        let r = invite(&w, &w.office, rid, body.clone()).await;
        assert_eq!(r.status(), status, "{rid} {body}");
        assert_eq!(code(r).await, expected, "{rid} {body}");
    }
    for rid in ["sansmail", "sansmobile", "ok"] {
        assert!(invitations(&w, &w.office, rid).await.is_empty(), "{rid}");
    }
    assert!(w.smtp.messages().unwrap().is_empty());
    assert!(w.sms.received().is_empty());
    // A second invitation while the first waits: refused.
    invited(&w, "ok").await;
    let r = invite(
        &w,
        &w.office,
        "ok",
        serde_json::json!({"natures": [NATURE]}),
    )
    .await;
    assert_eq!(code(r).await, "invitation_pending");
    // A made-up or tampered link is invalid.
    assert_eq!(open(&w, "pas-un-lien").await.1, 404);
}
