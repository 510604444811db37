//! The recipient's portal path from the CLI's side: the vault e-mails the link (real SMTP sink,
//! waited on without sleeping), the recipient opens it, gets the one-time code by e-mail (no
//! mobile), reads the act; the office's next sync sees "remis à personne".

use sceau_e2e::{World, BANK_SIRET};

fn token_from(body: &str) -> String {
    let i = body.find("/portail/acces/").expect("a link") + "/portail/acces/".len();
    body[i..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

fn code_from(text: &str) -> String {
    let i = text.find("coffre-fort est ").expect("a code") + "coffre-fort est ".len();
    text[i..i + 6].to_owned()
}

fn hidden(html: &str, name: &str) -> String {
    sceau_testsupport::portal::hidden(html, name).expect("hidden field")
}

/// `application/x-www-form-urlencoded` value.
fn form_value(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

fn cookie(r: &reqwest::Response, name: &str) -> String {
    sceau_testsupport::portal::set_cookie(r, name)
        .unwrap_or_else(|| panic!("cookie {name} missing"))
}

#[test]
fn the_recipient_opens_the_emailed_link_types_the_code_and_the_act_ends_in_person() {
    let mut w = World::new().unwrap();
    w.with_recipient_side().unwrap();
    w.start_vault().unwrap();
    w.connect();
    let act = w.act("pv.pdf");
    let args = w.signify_args("PORTAIL-1", &act);
    let out = w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let act_name = out["documents"][0].as_str().unwrap().to_owned();

    let side = w.recipient_side.as_ref().unwrap();
    let mails = side.smtp.wait_for(1).unwrap();
    assert_eq!(mails[0].rcpt_tos, vec!["significations@banque.test"]);
    let token = token_from(&mails[0].body);
    let purl = |path: &str| format!("https://127.0.0.1:{}{path}", side.portal_port);
    let c = w.portal_client();
    let (status, pdf) = World::block_on(async {
        let r = c
            .get(purl(&format!("/portail/acces/{token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let csrf_cookie = cookie(&r, "sceau_csrf");
        let html = r.text().await.unwrap();
        assert!(html.contains("par courriel"), "{html}");
        // The code comes by e-mail: BANQUE TEST has no mobile number, so link and code share
        // one channel and its SIREN is asked with the code.
        assert!(html.contains("SIREN"), "{html}");
        let mails = side.smtp.wait_for(2).unwrap();
        let code = code_from(&mails[1].body);
        let r = c
            .post(purl(&format!("/portail/acces/{token}")))
            .header(reqwest::header::COOKIE, format!("sceau_csrf={csrf_cookie}"))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(format!(
                "code={}&reponse={}&csrf={}",
                form_value(&code),
                form_value(&BANK_SIRET[..9]),
                form_value(&hidden(&html, "csrf"))
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let session = cookie(&r, "sceau_portail");
        let html = c
            .get(purl("/portail/actes"))
            .header(reqwest::header::COOKIE, format!("sceau_portail={session}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("PORTAIL-1"), "{html}");
        let i = html.find("/portail/actes/").expect("an act link");
        let link = html[i..].split('"').next().unwrap().to_owned();
        assert!(link.ends_with(&act_name), "{link}");
        let r = c
            .get(purl(&link))
            .header(reqwest::header::COOKIE, format!("sceau_portail={session}"))
            .send()
            .await
            .unwrap();
        (r.status(), r.bytes().await.unwrap().to_vec())
    });
    assert_eq!(status, 200);
    assert!(pdf.starts_with(b"%PDF"));
    // The office's sync: "remis à personne", with the delivery notice kept locally. The vault
    // files the notice just after the consultation (off the portal's request path): each sync
    // long-polls the feed for the next event; the consultation and the decision may come in
    // one sync or two.
    let mut deliveries = 0;
    for _ in 0..3 {
        let s = w.ok(&["sync", "--wait", "20"]);
        deliveries += s["deliveries"].as_u64().unwrap();
        if deliveries > 0 {
            break;
        }
    }
    assert_eq!(deliveries, 1);
    let d = w.ok(&["dashboard", "--category", "delivered_in_person"]);
    assert_eq!(d["notifications"][0]["reference"], "PORTAIL-1", "{d}");
    let shown = w.ok(&["show", "PORTAIL-1"]);
    assert_eq!(shown["state"], "in_person", "{shown}");
    assert!(shown["delivery_notice_file"].is_string(), "{shown}");
}
