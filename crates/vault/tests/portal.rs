//! The recipients' portal and the bank API against a real vault on loopback: links, one-time
//! codes (wrong until lock-out, replayed, expired link), cookies and CSRF, recipient X never
//! reaching recipient Y's acts (lists, ids, documents, archives, returns), the first
//! consultation deciding "remise à personne", returns refused with a reason and nothing stored
//! (too large, wrong type, ZIP, decompression bomb, bad answer), and the bank API.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;

use base64::Engine;
use common::*;
use sceau_testsupport::pki::{Identity, IssueRequest, KeySpec, Profile};
use sceau_vault::notify;
use sceau_vault::store::meta;
use sceau_vault::store::sql::tx;

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

async fn world(max_return: u64, backend: Backend) -> World {
    let side = PortalSide::start(backend, |cfg| cfg.max_return_bytes = max_return).await;
    let ids = office_ids(&side.h.ca, "Jean Dupont", "Etude Dupont");
    let office = bound_client(&side.h, &ids.auth, "9991").await;
    World {
        side,
        office,
        signer: ids.sign,
    }
}

fn recipient(
    h: &Harness,
    id: &str,
    kind: sceau_proto::RecipientKind,
    email: Option<&str>,
    mobile: Option<&str>,
) {
    let row = recipient_row(id, kind, format!("Destinataire {id}"), email, mobile);
    let given = (tuesday_morning() - chrono::Duration::days(30)).date_naive();
    add_recipient_with_consent(h, &row, given, "formulaire");
}

/// The NIR of the test persons with one channel only (asked at login besides the code).
const NIR_Y: &str = "2 69 05 49 588 157 80";

/// A person reached by e-mail only, whose NIR the vault knows.
fn person_by_email_with_nir(h: &Harness, id: &str, email: &str, nir: &str) {
    let mut row = recipient_row(
        id,
        sceau_proto::RecipientKind::Person,
        format!("Destinataire {id}"),
        Some(email),
        None,
    );
    row.nir = Some(nir.replace(' ', ""));
    let given = (tuesday_morning() - chrono::Duration::days(30)).date_naive();
    add_recipient_with_consent(h, &row, given, "formulaire");
}

async fn deposit(w: &World, rid: &str, nature: &str, reference: &str) -> (String, String) {
    let pkg = simple_package(&w.signer, rid, nature, reference);
    let r = put_package(&w.h, &w.office, &format!("cle-{reference}"), &pkg).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let receipt: sceau_proto::DepositReceipt = r.json().await.unwrap();
    (receipt.deposit_id, receipt.documents[0].clone())
}

fn purl(w: &World, path: &str) -> String {
    w.side.purl(path)
}

/// Posts `pdf` as a return on act `dep` through the portal's form (CSRF token from `html`).
async fn post_return(
    w: &World,
    c: &reqwest::Client,
    session: &str,
    html: &str,
    dep: &str,
    pdf: Vec<u8>,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf", hidden(html, "csrf"))
        .part(
            "pdf",
            reqwest::multipart::Part::bytes(pdf).file_name("r.pdf"),
        );
    c.post(purl(w, &format!("/portail/actes/{dep}/retour")))
        .header(reqwest::header::COOKIE, format!("sceau_portail={session}"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn token_from(body: &str) -> String {
    let i = body.find("/portail/acces/").unwrap() + "/portail/acces/".len();
    body[i..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

fn code_from(text: &str) -> String {
    let i = text.find("est ").unwrap() + 4;
    text[i..i + 6].to_owned()
}

/// Opens the link: (csrf token, csrf cookie, page).
async fn open_link(
    w: &World,
    c: &reqwest::Client,
    token: &str,
) -> (reqwest::StatusCode, String, String, String) {
    let r = c
        .get(purl(w, &format!("/portail/acces/{token}")))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let cookies = set_cookies(&r);
    let html = r.text().await.unwrap();
    if status != 200 {
        return (status, String::new(), String::new(), html);
    }
    let cookie = cookie_value(&cookies, "sceau_csrf").unwrap();
    assert!(
        cookies.iter().any(|c| c.contains("Secure")
            && c.contains("HttpOnly")
            && c.contains("SameSite=Strict")),
        "{cookies:?}"
    );
    (status, hidden(&html, "csrf"), cookie, html)
}

async fn post_code(
    w: &World,
    c: &reqwest::Client,
    token: &str,
    csrf: &str,
    cookie: &str,
    code: &str,
) -> reqwest::Response {
    post_code_and(w, c, token, csrf, cookie, code, None).await
}

/// [`post_code`] with the identifier asked of a recipient with one channel.
async fn post_code_and(
    w: &World,
    c: &reqwest::Client,
    token: &str,
    csrf: &str,
    cookie: &str,
    code: &str,
    answer: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("code", code), ("csrf", csrf)];
    if let Some(a) = answer {
        form.push(("reponse", a));
    }
    c.post(purl(w, &format!("/portail/acces/{token}")))
        .header(reqwest::header::COOKIE, format!("sceau_csrf={cookie}"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn state(h: &Harness, id: &str) -> String {
    let id = id.to_owned();
    tokio::task::block_in_place(|| {
        tx(h.vault.meta.as_ref(), move |sql| {
            meta::deposit_any(sql, &id)
        })
        .unwrap()
        .unwrap()
        .state
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_login_authorisation_and_consultation() {
    portal_flow(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_login_authorisation_and_consultation_on_postgres_and_s3() {
    portal_flow(Backend::Scaled).await;
}

async fn portal_flow(backend: Backend) {
    let w = world(10 * 1024 * 1024, backend).await;
    use sceau_proto::RecipientKind::Person;
    recipient(
        &w.h,
        "x",
        Person,
        Some("x@exemple.test"),
        Some("+33600000001"),
    );
    person_by_email_with_nir(&w.h, "y", "y@exemple.test", NIR_Y);
    let (dx, fx) = deposit(&w, "x", "COMMANDEMENT_DE_PAYER", "REFX").await;
    let (dy, fy) = deposit(&w, "y", "COMMANDEMENT_DE_PAYER", "REFY").await;
    let (dx2, fx2) = deposit(&w, "x", "SAISIE_ATTRIBUTION", "REFX2").await;
    notify::enqueue_new(&w.h.vault).await.unwrap();
    notify::send_due(&w.h.vault).await.unwrap();
    let mails = w.smtp.messages().unwrap();
    let tx_ = token_from(
        &mails
            .iter()
            .find(|m| m.rcpt_tos == ["x@exemple.test"])
            .unwrap()
            .body,
    );
    let ty = token_from(
        &mails
            .iter()
            .find(|m| m.rcpt_tos == ["y@exemple.test"])
            .unwrap()
            .body,
    );
    let c = browser(&w.h);

    // Without a session nothing is listed; a made-up link is refused.
    let r = c.get(purl(&w, "/portail/actes")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let (st, _, _, html) = open_link(&w, &c, "inconnu").await;
    assert_eq!(st, 404);
    assert!(html.contains("Lien invalide"));
    // Office routes are not served on the portal's listener.
    assert_eq!(
        c.get(purl(&w, "/v1/services"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // X's link: the code comes by SMS.
    let (st, csrf, cookie, html) = open_link(&w, &c, &tx_).await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("par SMS"), "{html}");
    assert!(
        !html.contains("name=\"reponse\""),
        "two channels: nothing more asked"
    );
    let sms = w.sms.received();
    let text: serde_json::Value = serde_json::from_str(&sms.last().unwrap().body).unwrap();
    assert_eq!(text["to"], "+33600000001");
    let code = code_from(text["text"].as_str().unwrap());
    // A CSRF token that does not match the cookie is refused, and costs no attempt.
    let r = post_code(&w, &c, &tx_, "faux", &cookie, &code).await;
    assert_eq!(r.status(), 403);
    // A wrong code counts.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = post_code(&w, &c, &tx_, &csrf, &cookie, wrong).await;
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("Il vous reste 4 essai(s)"), "{html}");
    let csrf = hidden(&html, "csrf");
    // The right code opens a session.
    let r = post_code(&w, &c, &tx_, &csrf, &cookie, &code).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[reqwest::header::LOCATION], "/portail/actes");
    let cookies = set_cookies(&r);
    let session = cookie_value(&cookies, "sceau_portail").unwrap();
    let sc = cookies
        .iter()
        .find(|c| c.starts_with("sceau_portail="))
        .unwrap();
    assert!(
        sc.contains("Secure") && sc.contains("HttpOnly") && sc.contains("SameSite=Strict"),
        "{sc}"
    );
    // The same code again: refused (single use).
    let r = post_code(&w, &c, &tx_, &csrf, &cookie, &code).await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("n'est plus valable"));

    let get = |path: String| {
        c.get(purl(&w, &path))
            .header(reqwest::header::COOKIE, format!("sceau_portail={session}"))
            .send()
    };
    let r = get("/portail/actes".into()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&fx) && !html.contains(&fy) && !html.contains(&dy),
        "{html}"
    );
    assert!(html.contains("Non consulté"));

    // Y's act by every URL: not found, and nothing recorded for Y.
    for path in [
        format!("/portail/actes/{dy}/document/{fy}"),
        format!("/portail/actes/{dy}/document/{fy}?telecharger=1"),
        format!("/portail/actes/{dy}/paquet"),
        format!("/portail/actes/{dy}/flux"),
        format!("/portail/actes/{dy}"),
        format!("/portail/actes/{dy}/signature/{fy}"),
        format!("/portail/actes/{dx}/signature/{fy}"),
        format!("/portail/actes/{dx}/document/{fy}"),
        format!("/portail/actes/{dx}/document/..%2F{fx}"),
    ] {
        assert_eq!(get(path.clone()).await.unwrap().status(), 404, "{path}");
    }
    let r = post_return(&w, &c, &session, &html, &dy, pdfa_act("Réponse")).await;
    assert_eq!(r.status(), 404);
    assert_eq!(state(&w.h, &dy), "awaiting_consultation");

    // X reads the act: same bytes, and the service becomes "remise à personne".
    let r = get(format!("/portail/actes/{dx}/document/{fx}"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline"));
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let r = get(format!("/portail/actes/{dx}/document/{fx}?telecharger=1"))
        .await
        .unwrap();
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    // The act's page: the office, the nature, the state explained, the signature in words.
    let r = get(format!("/portail/actes/{dx}")).await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    for says in [
        "<h1>Commandement de payer</h1>",
        "Maître Jean Dupont, commissaire de justice",
        "<dt>Numéro d'étude</dt><dd>9991</dd>",
        "Remise à personne",
        "il vous est donc signifié « à personne » (article 662-1 du code de procédure civile)",
        "Signé électroniquement par Jean Dupont, commissaire de justice le ",
        "avec un certificat qualifié de signature électronique (règlement européen eIDAS) \
         délivré par AC des commissaires de justice. Le coffre-fort a vérifié cette signature \
         lors du dépôt, le ",
        "Vous ne reconnaissez pas cet acte ?",
        "Se déconnecter",
        "Session ouverte jusqu'à",
        // No contact declared by the operator: where to find it.
        "L'adresse et le téléphone de l'étude figurent en tête de l'acte.",
    ] {
        assert!(page.contains(says), "{says}: {page}");
    }
    // Once the operator declared the office's phone, the page gives it (a number to call).
    tokio::task::block_in_place(|| {
        sceau_vault::admin::set_office_contact(
            w.h.vault.meta.as_ref(),
            "9991",
            Some("01 23 45 67 89"),
            None,
        )
        .unwrap()
    });
    let page = get(format!("/portail/actes/{dx}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for says in [
        "<dt>Téléphone</dt><dd><a href=\"tel:0123456789\">01 23 45 67 89</a></dd>",
        "<p>L'adresse de l'étude figure en tête de l'acte.</p>",
    ] {
        assert!(page.contains(says), "{says}: {page}");
    }
    // Its signature, to check independently: the .p7s the office deposited, as an attachment.
    let r = get(format!("/portail/actes/{dx}/signature/{fx}"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pkcs7-signature");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let p7s = r.bytes().await.unwrap();
    let report = sceau_cades::verify_detached(&pdf, &p7s, &[], chrono::Utc::now()).unwrap();
    assert!(report.content_digest_ok && report.signature_ok);
    let r = get(format!("/portail/actes/{dx}/paquet")).await.unwrap();
    assert_eq!(r.status(), 200);
    let zip =
        zip::ZipArchive::new(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
    let names: Vec<&str> = zip.file_names().collect();
    for n in [
        fx.as_str(),
        "attestation_depot.xml",
        "attestation_depot.xml.p7s",
        "flux_acte.xml",
    ] {
        assert!(names.contains(&n), "{names:?}");
    }
    // The single XML flow, for the person's software: offered on the act's page, downloaded
    // as an attachment, the same bytes as the archive's.
    let page = get(format!("/portail/actes/{dx}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(
            "href=\"/portail/actes/{dx}/flux\">Flux XML (pour un logiciel)"
        )),
        "{page}"
    );
    let r = get(format!("/portail/actes/{dx}/flux")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/xml");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\""));
    let served = r.bytes().await.unwrap();
    let mut archived_flow = Vec::new();
    std::io::Read::read_to_end(
        &mut zip.clone().by_name("flux_acte.xml").unwrap(),
        &mut archived_flow,
    )
    .unwrap();
    assert_eq!(served.as_ref(), archived_flow.as_slice());
    // The office renames its archived copy and moves it: the recipient's package is the same.
    let did = dx.clone();
    let archived =
        w.h.vault
            .db(move |sql| {
                let rows = sql.query(
                    "SELECT path FROM vault_entries WHERE deposit_id = $1",
                    &[did.as_str().into()],
                )?;
                Ok(rows[0][0].opt_text().unwrap())
            })
            .await
            .unwrap();
    let moved = |to: &str| {
        w.office
            .post(w.h.url("/v1/vault/move"))
            .json(&serde_json::json!({"from": archived, "to": to}))
            .send()
    };
    // Its extension stays: the recipient's package is found by it.
    let r = moved("Range_sans_extension").await.unwrap();
    assert_eq!(r.status(), 422, "{}", r.text().await.unwrap());
    let r = moved("Archive_rangee.zip").await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = get(format!("/portail/actes/{dx}/paquet")).await.unwrap();
    assert_eq!(
        r.status(),
        200,
        "renamed by the office, still the recipient's"
    );
    let again =
        zip::ZipArchive::new(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
    assert_eq!(again.len(), zip.len());
    // The notice is filed off the request path: wait for it, then the state is final.
    sceau_vault::delivery::settled(&w.h.vault).await;
    assert_eq!(state(&w.h, &dx), "in_person");
    let d: sceau_proto::ServiceDetail =
        get_json(&w.office, w.h.url(&format!("/v1/services/{dx}"))).await;
    let notice = d.delivery_notice.expect("delivery notice");
    assert_eq!(notice.state, "Remise à personne");
    assert!(notice.file_name.ends_with("_REMISE.pdf"));
    // A return on a nature that expects none is refused.
    let r = post_return(&w, &c, &session, &html, &dx, pdfa_act("Réponse")).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("attend pas de retour"));
    // Where the nature expects one, the form files it; a ZIP is refused and nothing is stored.
    for (bytes, status, says) in [
        (zip_bomb(), 422, "archive ZIP"),
        (pdfa_act("Réponse de X"), 200, "a été déposée"),
    ] {
        let r = post_return(&w, &c, &session, &html, &dx2, bytes).await;
        assert_eq!(r.status(), status);
        let page = r.text().await.unwrap();
        assert!(page.contains(says), "{page}");
        let id = dx2.clone();
        let stored = tokio::task::block_in_place(|| {
            tx(w.h.vault.meta.as_ref(), move |sql| {
                meta::act_return(sql, &id)
            })
            .unwrap()
        });
        if status == 200 {
            assert_eq!(
                stored.unwrap().name,
                sceau_core::naming::return_name(&fx2, "SAISIE_ATTRIBUTION")
            );
        } else {
            assert!(
                page.contains("Rien n&#39;a été enregistré")
                    || page.contains("Rien n'a été enregistré"),
                "{page}"
            );
            assert!(stored.is_none());
        }
    }

    // Y's link: no mobile, so the code comes by e-mail, and Y's NIR is asked with it (link
    // and code on one channel); wrong codes until lock-out.
    let (st, csrf0, cookie0, html) = open_link(&w, &c, &ty).await;
    assert_eq!(st, 200);
    assert!(html.contains("par courriel"), "{html}");
    assert!(
        html.contains("name=\"reponse\"") && html.contains("sécurité sociale"),
        "{html}"
    );
    let mail = w.smtp.messages().unwrap().into_iter().last().unwrap();
    assert_eq!(mail.rcpt_tos, ["y@exemple.test"]);
    let first = code_from(&mail.body);
    // Codes are short-lived: the right code, 11 minutes later, is refused.
    w.h.clock
        .set(tuesday_morning() + chrono::Duration::minutes(11));
    let r = post_code(&w, &c, &ty, &csrf0, &cookie0, &first).await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("n'est plus valable"));
    // Opening the link again sends a new code.
    let (st, mut csrf, cookie, _) = open_link(&w, &c, &ty).await;
    assert_eq!(st, 200);
    let mail = w.smtp.messages().unwrap().into_iter().last().unwrap();
    let ycode = code_from(&mail.body);
    let wrong = if ycode == "000000" {
        "111111"
    } else {
        "000000"
    };
    for left in (0..5).rev() {
        let r = post_code(&w, &c, &ty, &csrf, &cookie, wrong).await;
        let status = r.status();
        let html = r.text().await.unwrap();
        if left > 0 {
            assert_eq!(status, 401);
            assert!(
                html.contains(&format!("Il vous reste {left} essai(s)")),
                "{html}"
            );
            csrf = hidden(&html, "csrf");
        } else {
            assert_eq!(status, 403);
            assert!(html.contains("Accès bloqué"));
        }
    }
    // Locked: even the right code, and reopening the link does not send a new one.
    assert_eq!(
        post_code(&w, &c, &ty, &csrf, &cookie, &ycode)
            .await
            .status(),
        403
    );
    let before = w.smtp.messages().unwrap().len();
    assert_eq!(open_link(&w, &c, &ty).await.0, 403);
    assert_eq!(w.smtp.messages().unwrap().len(), before);

    // Links expire.
    w.h.clock
        .set(tuesday_morning() + chrono::Duration::days(31));
    assert_eq!(open_link(&w, &c, &tx_).await.0, 404);

    // Audit lines are written by a batching task: wait for the ones queued so far.
    w.audit.flush().await;
    let audit =
        tokio::task::block_in_place(|| tx(w.h.vault.meta.as_ref(), meta::audit_lines).unwrap());
    for action in [
        "login",
        "list",
        "document",
        "document_refused",
        "code_wrong",
        "code_locked",
        "link_invalid",
        "csrf_refused",
    ] {
        assert!(
            audit.iter().any(|(a, ..)| a == action),
            "{action}: {audit:?}"
        );
    }
    assert!(audit.iter().any(|(a, r, d, ok)| a == "document_refused"
        && r.as_deref() == Some("x")
        && d.as_deref() == Some(dy.as_str())
        && !ok));
}

fn blob_count(h: &Harness) -> usize {
    fn walk(p: &std::path::Path) -> usize {
        std::fs::read_dir(p)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&h.config.data_dir.join("blobs"))
}

/// A PDF whose one stream inflates to `size` zero bytes.
fn pdf_bomb(size: usize) -> Vec<u8> {
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.4");
    let mut s = Stream::new(dictionary! {}, vec![0u8; size]);
    s.compress().unwrap();
    let content = doc.add_object(s);
    let pages = doc.new_object_id();
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages, "Contents" => content,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let cat = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", cat);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// A ZIP of one deflated entry (a small ZIP bomb: 50 MB of zeros), written by Python's zipfile.
fn zip_bomb() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.zip");
    let st = std::process::Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import zipfile\nz=zipfile.ZipFile({:?},'w',zipfile.ZIP_DEFLATED)\nz.writestr('acte.pdf', b'\\0'*50_000_000)\nz.close()",
            path.display().to_string()
        ))
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::read(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_api_and_returns() {
    bank_flow(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_api_and_returns_on_postgres_and_s3() {
    bank_flow(Backend::Scaled).await;
}

async fn bank_flow(backend: Backend) {
    let w = world(1024 * 1024, backend).await;
    use sceau_proto::RecipientKind::{Bank, Person};
    recipient(&w.h, "banque", Bank, Some("b@banque.test"), None);
    recipient(&w.h, "x", Person, Some("x@exemple.test"), None);
    let (db, fb) = deposit(&w, "banque", "SAISIE_ATTRIBUTION", "SAISIE1").await;
    let (dx, fx) = deposit(&w, "x", "SAISIE_ATTRIBUTION", "SAISIEX").await;
    // The bank's certificate, bound to the bank; another one bound to a person is refused.
    let bank_id =
        w.h.ca
            .issue(&IssueRequest::new(
                "Banque Test API",
                KeySpec::EcP256,
                Profile::Authentication,
            ))
            .unwrap();
    let person_id =
        w.h.ca
            .issue(&IssueRequest::new(
                "Personne X",
                KeySpec::EcP256,
                Profile::Authentication,
            ))
            .unwrap();
    let fp = |id: &Identity| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&id.cert_der));
    let (fb_, fp_) = (fp(&bank_id), fp(&person_id));
    tokio::task::block_in_place(|| {
        tx(w.h.vault.meta.as_ref(), |sql| {
            meta::bind_bank_cert(sql, &fb_, "banque", tuesday_morning())?;
            meta::bind_bank_cert(sql, &fp_, "x", tuesday_morning())
        })
        .unwrap()
    });
    let not_bank = w.h.client(Some(&person_id));
    let r = not_bank.get(w.h.url("/v1/bank/acts")).send().await.unwrap();
    assert_eq!(code(r).await, "certificate_not_bound");
    assert_eq!(
        code(
            w.h.client(None)
                .get(w.h.url("/v1/bank/acts"))
                .send()
                .await
                .unwrap()
        )
        .await,
        "certificate_missing"
    );
    // The office's client is not a bank either.
    assert_eq!(
        code(w.office.get(w.h.url("/v1/bank/acts")).send().await.unwrap()).await,
        "certificate_not_bound"
    );

    let bank = w.h.client(Some(&bank_id));
    let list: sceau_proto::BankActList = get_json(&bank, w.h.url("/v1/bank/acts")).await;
    assert_eq!(list.acts.len(), 1);
    assert_eq!(list.acts[0].deposit_id, db);
    assert!(list.acts[0].return_expected && !list.acts[0].returned);
    // X's act is out of reach.
    for path in [
        format!("/v1/bank/acts/{dx}/documents/{fx}"),
        format!("/v1/bank/acts/{dx}/package"),
        format!("/v1/bank/acts/{db}/documents/{fx}"),
    ] {
        assert_eq!(
            code(bank.get(w.h.url(&path)).send().await.unwrap()).await,
            "not_found",
            "{path}"
        );
    }
    let up = |pdf: &[u8], answer: Option<serde_json::Value>| sceau_proto::ReturnUpload {
        pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
        answer,
    };
    let r = bank
        .put(w.h.url(&format!("/v1/bank/acts/{dx}/return")))
        .json(&up(&pdfa_act("R"), None))
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "not_found");

    // Download: the consultation.
    let r = bank
        .get(w.h.url(&format!("/v1/bank/acts/{db}/documents/{fb}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
    assert_eq!(state(&w.h, &db), "in_person");
    let list: sceau_proto::BankActList = get_json(&bank, w.h.url("/v1/bank/acts")).await;
    assert!(list.acts.is_empty(), "no new act left");

    // Refused returns: a reason each, and nothing stored.
    let blobs = blob_count(&w.h);
    let mut big = pdfa_act("Grand");
    big.extend(std::iter::repeat_n(b' ', 1024 * 1024));
    let good_answer = serde_json::json!({
        "version": 1, "accounts_found": true, "declared_on": "2026-06-02",
        "accounts": [{"kind": "compte courant", "balance_cents": 123456, "currency": "EUR"}]
    });
    let cases: Vec<(Vec<u8>, Option<serde_json::Value>, &str, &str)> = vec![
        (big, None, "too_large", "dépasse"),
        (
            b"Bonjour, ceci n'est pas un PDF".to_vec(),
            None,
            "bad_request",
            "n'est pas un PDF",
        ),
        (zip_bomb(), None, "bad_request", "archive ZIP"),
        (
            pdf_bomb(120 * 1024 * 1024),
            None,
            "return_pdf_refused",
            "démesuré",
        ),
        (
            pdfa_act("R"),
            Some(
                serde_json::json!({"version": 1, "accounts_found": false, "declared_on": "2026-06-02", "iban": "FR76"}),
            ),
            "bad_request",
            "réponse structurée invalide",
        ),
        (
            pdfa_act("R"),
            Some(
                serde_json::json!({"version": 1, "accounts_found": true, "declared_on": "2026-06-02"}),
            ),
            "bad_request",
            "incohérents",
        ),
    ];
    for (pdf, answer, want, reason) in cases {
        let r = bank
            .put(w.h.url(&format!("/v1/bank/acts/{db}/return")))
            .json(&up(&pdf, answer))
            .send()
            .await
            .unwrap();
        let body: sceau_proto::ErrorBody = r.json().await.unwrap();
        assert_eq!(body.code, want, "{}", body.message);
        assert!(body.message.contains(reason), "{}", body.message);
    }
    assert_eq!(blob_count(&w.h), blobs, "nothing stored on refusal");
    let dbc = db.clone();
    let none = tokio::task::block_in_place(|| {
        tx(w.h.vault.meta.as_ref(), move |sql| {
            meta::act_return(sql, &dbc)
        })
        .unwrap()
    });
    assert!(none.is_none());

    // A good return with its structured answer.
    let r = bank
        .put(w.h.url(&format!("/v1/bank/acts/{db}/return")))
        .json(&up(&pdfa_act("Déclaration"), Some(good_answer.clone())))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let receipt: sceau_proto::ReturnReceipt = r.json().await.unwrap();
    assert_eq!(
        receipt.name,
        sceau_core::naming::return_name(&fb, "SAISIE_ATTRIBUTION")
    );
    // Only one return per act.
    let r = bank
        .put(w.h.url(&format!("/v1/bank/acts/{db}/return")))
        .json(&up(&pdfa_act("Encore"), None))
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "path_exists");
    let d: sceau_proto::ServiceDetail =
        get_json(&w.office, w.h.url(&format!("/v1/services/{db}"))).await;
    let ret = d.act_return.expect("return section");
    assert_eq!(ret.file_name, receipt.name);
    assert!(d
        .history
        .iter()
        .any(|e| e.message == format!("Réponse déposée par le destinataire : {}", receipt.name)));
    // The office downloads the return and its answer from its vault.
    let r = w
        .office
        .get(w.h.url("/v1/vault/file"))
        .query(&[("path", ret.path.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
    let json_path = ret.path.replace(".pdf", ".json");
    let r = w
        .office
        .get(w.h.url("/v1/vault/file"))
        .query(&[("path", json_path.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let got: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(got, good_answer);
}

/// An object-stream bomb: `streams` object streams, each inflating to 4 MiB of one array of
/// integers (lopdf 0.47's `load_mem` inflates and parses every one of them while loading: some
/// 30 bytes of memory per 2 bytes of text).
fn objstm_bomb(streams: usize) -> Vec<u8> {
    use std::io::Write;
    let mut body = String::from("[");
    while body.len() < 4 * 1024 * 1024 {
        body.push_str("0 ");
    }
    body.push(']');
    let mut out: Vec<u8> = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    let mut obj = |out: &mut Vec<u8>, text: &[u8]| {
        offsets.push(out.len());
        out.extend_from_slice(text);
    };
    obj(
        &mut out,
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
    );
    obj(
        &mut out,
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
    );
    obj(
        &mut out,
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n",
    );
    for k in 0..streams {
        let header = format!("{} 0 ", 1000 + k);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(header.as_bytes()).unwrap();
        z.write_all(body.as_bytes()).unwrap();
        let data = z.finish().unwrap();
        let mut o = format!(
            "{} 0 obj\n<< /Type /ObjStm /N 1 /First {} /Filter /FlateDecode /Length {} >>\nstream\n",
            4 + k,
            header.len(),
            data.len()
        )
        .into_bytes();
        o.extend_from_slice(&data);
        o.extend_from_slice(b"\nendstream\nendobj\n");
        obj(&mut out, &o);
    }
    let xref = out.len();
    let n = offsets.len() + 1;
    out.extend_from_slice(format!("xref\n0 {n}\n0000000000 65535 f \n").as_bytes());
    for off in &offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {n} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

/// `pdf` with `change` applied to its lopdf document.
fn altered(pdf: &[u8], change: impl FnOnce(&mut lopdf::Document)) -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(pdf).unwrap();
    change(&mut doc);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// Returns carrying active content: (PDF, what the refusal names).
fn active_returns() -> Vec<(Vec<u8>, &'static str)> {
    use lopdf::{dictionary, Object};
    let base = pdfa_act("Réponse");
    let catalog =
        |doc: &mut lopdf::Document| doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    vec![
        (
            altered(&base, |doc| {
                let js = doc.add_object(dictionary! {
                    "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)"),
                });
                let root = catalog(doc);
                let cat = doc.get_object_mut(root).unwrap().as_dict_mut().unwrap();
                cat.set("OpenAction", js);
            }),
            "OpenAction",
        ),
        (
            altered(&base, |doc| {
                let page = *doc.get_pages().values().next().unwrap();
                let annot = doc.add_object(dictionary! {
                    "Type" => "Annot", "Subtype" => "Link",
                    "Rect" => vec![0.into(), 0.into(), 10.into(), 10.into()],
                    "A" => dictionary! { "S" => "Launch", "F" => Object::string_literal("calc.exe") },
                });
                let p = doc.get_object_mut(page).unwrap().as_dict_mut().unwrap();
                p.set("Annots", vec![annot.into()]);
            }),
            "Launch",
        ),
        (
            altered(&base, |doc| {
                let file = doc.add_object(lopdf::Stream::new(
                    dictionary! { "Type" => "EmbeddedFile" },
                    b"MZ".to_vec(),
                ));
                let spec = doc.add_object(dictionary! {
                    "Type" => "Filespec", "F" => Object::string_literal("a.exe"),
                    "EF" => dictionary! { "F" => file },
                });
                let root = catalog(doc);
                let cat = doc.get_object_mut(root).unwrap().as_dict_mut().unwrap();
                cat.set(
                    "Names",
                    dictionary! { "EmbeddedFiles" => dictionary! {
                        "Names" => vec![Object::string_literal("a.exe"), spec.into()],
                    }},
                );
            }),
            "fichiers joints",
        ),
    ]
}

/// Peak resident memory of this process (one test per process under nextest), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

/// The security review's third finding: a 585 KB PDF of object streams took the vault from
/// 42 MB to 891 MB, because lopdf inflates and parses object streams while loading, before any
/// bound of ours. Here a bomb whose object streams inflate to 48 MiB (some 800 MB once parsed)
/// is refused on the bank API and on the portal, and so are returns with JavaScript, a launch
/// action or embedded files, while the whole test process's peak memory stays under 200 MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_stream_bomb_and_active_content_are_refused_within_200_mb() {
    let w = world(10 * 1024 * 1024, Backend::Embedded).await;
    use sceau_proto::RecipientKind::{Bank, Person};
    recipient(&w.h, "banque", Bank, Some("b@banque.test"), None);
    recipient(
        &w.h,
        "x",
        Person,
        Some("x@exemple.test"),
        Some("+33600000001"),
    );
    let (db, _) = deposit(&w, "banque", "SAISIE_ATTRIBUTION", "SAISIE1").await;
    let (dx, _) = deposit(&w, "x", "SAISIE_ATTRIBUTION", "REFX").await;
    let bomb = objstm_bomb(12);
    assert!(bomb.len() < 600 * 1024, "{} bytes", bomb.len());
    // It is a bomb: lopdf's own loader, given the bytes, would inflate 48 MiB of object streams.
    let inflated: usize = bomb
        .windows(7)
        .enumerate()
        .filter(|(_, w)| w == b"stream\n")
        .map(|(i, _)| {
            let mut out = Vec::new();
            let mut z = flate2::read::ZlibDecoder::new(&bomb[i + 7..]);
            let _ = std::io::Read::read_to_end(&mut z, &mut out);
            out.len()
        })
        .sum();
    assert!(inflated >= 48 * 1024 * 1024, "{inflated}");
    let before = peak_rss();

    // The bank API.
    let bank_id =
        w.h.ca
            .issue(&IssueRequest::new(
                "Banque Test API",
                KeySpec::EcP256,
                Profile::Authentication,
            ))
            .unwrap();
    let fb = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bank_id.cert_der));
    tokio::task::block_in_place(|| {
        tx(w.h.vault.meta.as_ref(), |sql| {
            meta::bind_bank_cert(sql, &fb, "banque", tuesday_morning())
        })
        .unwrap()
    });
    let bank = w.h.client(Some(&bank_id));
    let mut cases = vec![(bomb.clone(), "return_pdf_refused", "démesuré")];
    cases.extend(
        active_returns()
            .into_iter()
            .map(|(pdf, what)| (pdf, "return_active_content", what)),
    );
    for (pdf, want, reason) in &cases {
        let r = bank
            .put(w.h.url(&format!("/v1/bank/acts/{db}/return")))
            .json(&sceau_proto::ReturnUpload {
                pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
                answer: None,
            })
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{reason}");
        let body: sceau_proto::ErrorBody = r.json().await.unwrap();
        assert_eq!(body.code, *want, "{}", body.message);
        assert!(body.message.contains(reason), "{}", body.message);
        assert!(
            body.message.starts_with("Retour refusé"),
            "{}",
            body.message
        );
    }

    // The portal: X logs in (link by e-mail, code by SMS) and posts the same returns.
    notify::enqueue_new(&w.h.vault).await.unwrap();
    notify::send_due(&w.h.vault).await.unwrap();
    let mails = w.smtp.messages().unwrap();
    let token = token_from(
        &mails
            .iter()
            .find(|m| m.rcpt_tos == ["x@exemple.test"])
            .unwrap()
            .body,
    );
    let c = browser(&w.h);
    let (st, csrf, cookie, html) = open_link(&w, &c, &token).await;
    assert_eq!(st, 200, "{html}");
    let sms = w.sms.received();
    let text: serde_json::Value = serde_json::from_str(&sms.last().unwrap().body).unwrap();
    let code = code_from(text["text"].as_str().unwrap());
    let r = post_code(&w, &c, &token, &csrf, &cookie, &code).await;
    assert_eq!(r.status(), 303);
    let session = cookie_value(&set_cookies(&r), "sceau_portail").unwrap();
    let r = c
        .get(purl(&w, "/portail/actes"))
        .header(reqwest::header::COOKIE, format!("sceau_portail={session}"))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    for (pdf, _, reason) in cases {
        let r = post_return(&w, &c, &session, &html, &dx, pdf).await;
        assert_eq!(r.status(), 422, "{reason}");
        let page = r.text().await.unwrap();
        assert!(page.contains(reason), "{page}");
    }
    for id in [db, dx] {
        let none = tokio::task::block_in_place(|| {
            tx(w.h.vault.meta.as_ref(), move |sql| {
                meta::act_return(sql, &id)
            })
            .unwrap()
        });
        assert!(none.is_none(), "nothing filed");
    }
    let peak = peak_rss();
    assert!(
        peak < 200 * 1024 * 1024,
        "peak resident memory {} MB (before the returns: {} MB)",
        peak / (1024 * 1024),
        before / (1024 * 1024)
    );
}

/// 200 wrong codes at once on one link: exactly `max_code_attempts` are judged (the last of
/// them locks), every other try is refused as locked without being counted, and the right
/// code is then refused too.
async fn parallel_wrong_codes(backend: Backend) {
    let w = world(10 * 1024 * 1024, backend).await;
    person_by_email_with_nir(&w.h, "y", "y@exemple.test", NIR_Y);
    deposit(&w, "y", "COMMANDEMENT_DE_PAYER", "REFY").await;
    notify::enqueue_new(&w.h.vault).await.unwrap();
    notify::send_due(&w.h.vault).await.unwrap();
    let mail = w.smtp.messages().unwrap().into_iter().last().unwrap();
    let token = token_from(&mail.body);
    let c = browser(&w.h);
    let (st, csrf, cookie, _) = open_link(&w, &c, &token).await;
    assert_eq!(st, 200);
    let mail = w.smtp.messages().unwrap().into_iter().last().unwrap();
    let code = code_from(&mail.body);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let max = usize::try_from(w.h.config.portal.max_code_attempts).unwrap();

    let w = Arc::new(w);
    let tries: Vec<_> = (0..200)
        .map(|_| {
            let (w, c, token, csrf, cookie) = (
                w.clone(),
                c.clone(),
                token.clone(),
                csrf.clone(),
                cookie.clone(),
            );
            tokio::spawn(async move {
                let r = post_code(&w, &c, &token, &csrf, &cookie, wrong).await;
                let status = r.status().as_u16();
                (status, r.text().await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tries {
        answers.push(t.await.unwrap());
    }
    let wrong_answers = answers
        .iter()
        .filter(|(s, h)| *s == 401 && h.contains("Code ou identifiant incorrect"))
        .count();
    let locked = answers
        .iter()
        .filter(|(s, h)| *s == 403 && h.contains("Accès bloqué"))
        .count();
    assert_eq!(wrong_answers, max - 1, "tries judged wrong before the lock");
    assert_eq!(locked, 200 - (max - 1), "every other try refused as locked");
    // The count stored is the limit, not the number of tries.
    let link = sceau_vault::notify::token_hash(&token);
    let stored = tokio::task::block_in_place(|| {
        tx(w.h.vault.meta.as_ref(), move |sql| {
            meta::code_state(sql, &link)
        })
        .unwrap()
        .unwrap()
    });
    assert_eq!(stored.attempts, i64::try_from(max).unwrap());
    // Locked: the right code is refused as well.
    let r = post_code(&w, &c, &token, &csrf, &cookie, &code).await;
    assert_eq!(r.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_out_under_200_parallel_wrong_codes_judges_exactly_the_allowed_number() {
    parallel_wrong_codes(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_out_under_200_parallel_wrong_codes_on_postgres_judges_exactly_the_allowed_number() {
    parallel_wrong_codes(Backend::Scaled).await;
}

/// Links and sessions past their life are deleted with the codes of those links; live ones
/// (and the wrong-code count of a live link) stay.
async fn purge(backend: Backend) {
    let w = world(10 * 1024 * 1024, backend).await;
    let now = tuesday_morning();
    let hour = chrono::Duration::hours(1);
    tokio::task::block_in_place(|| {
        tx(w.h.vault.meta.as_ref(), |sql| {
            meta::insert_link(sql, "lien-vieux", "r", now - hour * 48, now - hour)?;
            meta::set_code(sql, "lien-vieux", "c1", now - hour)?;
            meta::insert_link(sql, "lien-vivant", "r", now, now + hour)?;
            meta::set_code(sql, "lien-vivant", "c2", now - hour)?;
            meta::count_wrong_code(sql, "lien-vivant", "x", 5, now - hour * 2)?;
            meta::insert_session(sql, "session-vieille", "r", "csrf", now - hour)?;
            meta::insert_session(sql, "session-vivante", "r", "csrf", now + hour)?;
            let day = chrono::Duration::days(1);
            meta::insert_audit(sql, now - day * 366, Some("r"), "list", None, true)?;
            meta::insert_audit(sql, now - day * 364, Some("r"), "list", None, true)?;
            Ok(())
        })
        .unwrap()
    });
    let p = sceau_vault::portal::purge_expired(&w.h.vault)
        .await
        .unwrap();
    assert_eq!(
        p,
        meta::PortalPurge {
            links: 1,
            codes: 1,
            sessions: 1,
            audit: 1,
        }
    );
    let (old_code, live_code, sessions) = tokio::task::block_in_place(|| {
        tx(w.h.vault.meta.as_ref(), |sql| {
            Ok((
                meta::code_state(sql, "lien-vieux")?,
                meta::code_state(sql, "lien-vivant")?,
                sql.query("SELECT id_hash FROM portal_sessions", &[])?,
            ))
        })
        .unwrap()
    });
    assert!(old_code.is_none());
    assert_eq!(
        live_code.unwrap().attempts,
        1,
        "a live link keeps its count"
    );
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0][0].text(), "session-vivante");
    // Nothing more to purge.
    assert_eq!(
        sceau_vault::portal::purge_expired(&w.h.vault)
            .await
            .unwrap(),
        meta::PortalPurge::default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_links_codes_and_sessions_are_purged() {
    purge(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_links_codes_and_sessions_are_purged_on_postgres() {
    purge(Backend::Scaled).await;
}

/// Link and code on one channel: a company proves its SIREN with the code (a wrong SIREN is a
/// wrong code and counts), and a person with one channel and no identifier known cannot log in
/// online (no code is sent) and is told what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_channel_recipients_prove_a_known_identifier() {
    let w = world(10 * 1024 * 1024, Backend::Embedded).await;
    let mut company = recipient_row(
        "societe",
        sceau_proto::RecipientKind::Company,
        "SOCIETE TEST".into(),
        Some("contact@societe.test"),
        None,
    );
    company.siret = Some("73282932000074".into());
    let given = (tuesday_morning() - chrono::Duration::days(30)).date_naive();
    add_recipient_with_consent(&w.h, &company, given, "formulaire");
    recipient(
        &w.h,
        "inconnu",
        sceau_proto::RecipientKind::Person,
        Some("p@exemple.test"),
        None,
    );
    deposit(&w, "societe", "COMMANDEMENT_DE_PAYER", "REFS").await;
    deposit(&w, "inconnu", "COMMANDEMENT_DE_PAYER", "REFP").await;
    notify::enqueue_new(&w.h.vault).await.unwrap();
    notify::send_due(&w.h.vault).await.unwrap();
    let mails = w.smtp.messages().unwrap();
    let link_of = |to: &str| token_from(&mails.iter().find(|m| m.rcpt_tos == [to]).unwrap().body);
    let (ts, tp) = (link_of("contact@societe.test"), link_of("p@exemple.test"));
    let c = browser(&w.h);

    // The person: no code sent, a page saying why and what to do.
    let before = w.smtp.messages().unwrap().len();
    let (st, _, _, html) = open_link(&w, &c, &tp).await;
    assert_eq!(st, 403);
    assert!(html.contains("Connexion en ligne impossible"), "{html}");
    assert!(html.contains("numéro de téléphone mobile"), "{html}");
    assert_eq!(w.smtp.messages().unwrap().len(), before, "no code sent");

    // The company: the SIREN is asked with the code.
    let (st, csrf, cookie, html) = open_link(&w, &c, &ts).await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("SIREN"), "{html}");
    let mail = w.smtp.messages().unwrap().into_iter().last().unwrap();
    assert_eq!(mail.rcpt_tos, ["contact@societe.test"]);
    let code = code_from(&mail.body);
    // The right code with another SIREN, or none: refused, and each counts.
    for (answer, left) in [(Some("552 100 554"), 4), (None, 3)] {
        let r = post_code_and(&w, &c, &ts, &csrf, &cookie, &code, answer).await;
        assert_eq!(r.status(), 401);
        let page = r.text().await.unwrap();
        assert!(
            page.contains(&format!(
                "Code ou identifiant incorrect. Il vous reste {left} essai(s)"
            )),
            "{page}"
        );
    }
    // The right code with the SIREN as a person types it: logged in.
    let r = post_code_and(&w, &c, &ts, &csrf, &cookie, &code, Some("732 829 320")).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let session = format!("{}=", sceau_vault::portal::SESSION_COOKIE);
    assert!(set_cookies(&r).iter().any(|c| c.starts_with(&session)));
}

/// Two vault instances on one database (issue 20): wrong codes sent to either, alternately, are
/// counted together — the lock-out falls after the allowed number, then both refuse the right
/// code too.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_lock_out_is_the_same_whichever_instance_answers() {
    let w = world(10 * 1024 * 1024, Backend::Scaled).await;
    // The second instance, with its own portal listener.
    let second = w.h.second_instance().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let tls = sceau_vault::portal::tls_config(&second).unwrap();
    let app = sceau_vault::portal_app(second.clone());
    let served = tokio::spawn(async move {
        let _ = sceau_vault::serve(listener, tls, app).await;
    });

    person_by_email_with_nir(&w.h, "y", "y@exemple.test", NIR_Y);
    deposit(&w, "y", "COMMANDEMENT_DE_PAYER", "REFY").await;
    notify::enqueue_new(&w.h.vault).await.unwrap();
    notify::send_due(&w.h.vault).await.unwrap();
    let mail = w.smtp.messages().unwrap().into_iter().last().unwrap();
    let token = token_from(&mail.body);
    let c = browser(&w.h);
    let (st, csrf, cookie, _) = open_link(&w, &c, &token).await;
    assert_eq!(st, 200);
    let mail = w.smtp.messages().unwrap().into_iter().last().unwrap();
    let code = code_from(&mail.body);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let max = usize::try_from(w.h.config.portal.max_code_attempts).unwrap();
    let first = purl(&w, "");
    let post = |base: String, code: String| {
        let (c, token, csrf, cookie) = (c.clone(), token.clone(), csrf.clone(), cookie.clone());
        async move {
            c.post(format!("{base}/portail/acces/{token}"))
                .header(reqwest::header::COOKIE, format!("sceau_csrf={cookie}"))
                .form(&[("code", code.as_str()), ("csrf", csrf.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    let mut statuses = Vec::new();
    for i in 0..(2 * max) {
        let base = if i % 2 == 0 {
            first.clone()
        } else {
            other.clone()
        };
        statuses.push(post(base, wrong.to_owned()).await.status().as_u16());
    }
    let judged = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(judged, max - 1, "{statuses:?}");
    assert!(
        statuses[max - 1..].iter().all(|s| *s == 403),
        "locked on both: {statuses:?}"
    );
    for base in [first, other] {
        assert_eq!(post(base, code.clone()).await.status(), 403);
    }
    served.abort();
}
