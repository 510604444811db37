//! `POST /v1/recipients`: a new recipient from an office, on both backends — a person and a
//! company created with who and when; every bad input refused with its code and nothing
//! stored; duplicates (SIRET, NIR, e-mail + birth date) refused with the existing card, never
//! merged; a bank's certificate refused; another office finds the new recipient.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;

use common::*;
use sceau_proto::{Recipient, RecipientKind, RecipientList, RecipientRefusal};
use sceau_testsupport::pki::{IssueRequest, KeySpec, Profile};
use sceau_vault::store::meta;
use sceau_vault::store::sql::tx;
use serde_json::{json, Value};

/// The NIR of `body` (13 digits) with its key.
fn nir(body: &str) -> String {
    let n: u64 = body.parse().unwrap();
    format!("{body}{:02}", 97 - n % 97)
}

fn person(email: &str, birth: &str, nir: Option<&str>) -> Value {
    json!({
        "kind": "person", "civility": "Mme", "first_names": "Claire Marie",
        "last_name": "Martin", "birth_date": birth, "email": email,
        "mobile": "06 12 34 56 78",
        "address": {"lines": ["12 rue de la Paix", "Bâtiment B"], "postal_code": "75002",
                    "city": "Paris"},
        "nir": nir,
    })
}

fn company(siret: &str) -> Value {
    json!({"kind": "company", "siret": siret, "name": "Boulangerie Dupain",
           "email": "contact@dupain.fr", "mobile": "+262 692 12 34 56"})
}

fn count(h: &Harness) -> i64 {
    tokio::task::block_in_place(|| {
        tx(h.vault.meta.as_ref(), |sql| {
            Ok(sql.query("SELECT count(*) FROM recipients", &[])?[0][0].int())
        })
        .unwrap()
    })
}

async fn post(c: &reqwest::Client, h: &Harness, body: &Value) -> reqwest::Response {
    c.post(h.url("/v1/recipients"))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Posts `body` and expects a refusal with `status`, returning it.
async fn refused(c: &reqwest::Client, h: &Harness, body: &Value, status: u16) -> RecipientRefusal {
    let before = count(h);
    let r = post(c, h, body).await;
    assert_eq!(r.status(), status);
    let refusal: RecipientRefusal = r.json().await.unwrap();
    assert!(!refusal.message.is_empty());
    assert_eq!(count(h), before, "a refusal stored something");
    refusal
}

async fn suite(b: Backend) {
    let h = Harness::start(b, Arc::new(sceau_vault::SceauPdfa)).await;
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let o = office_ids(&h.ca, "Paul MARTIN", "Etude 1234");
    let ca = bound_client(&h, &a.auth, "9991").await;
    let cb = bound_client(&h, &o.auth, "1234").await;
    let office_a: sceau_proto::Session = get_json(&ca, h.url("/v1/session")).await;
    let office_a = office_a.office.unwrap().id;

    // A person, with who and when.
    let claire_nir = nir("2840575123456");
    let r = post(
        &ca,
        &h,
        &person("Claire.Martin@Exemple.fr", "12/05/1984", Some(&claire_nir)),
    )
    .await;
    assert_eq!(r.status(), 201);
    let claire: Recipient = r.json().await.unwrap();
    assert_eq!(claire.kind, RecipientKind::Person);
    assert_eq!(claire.name, "MARTIN Claire Marie");
    assert_eq!(claire.email.as_deref(), Some("Claire.Martin@exemple.fr"));
    assert_eq!(claire.phone_mobile.as_deref(), Some("+33612345678"));
    let masked = claire.nir_masked.clone().unwrap();
    assert!(
        masked.starts_with("284") && !masked.contains(&claire_nir[3..]),
        "{masked}"
    );
    let (e, imported) = tokio::task::block_in_place(|| {
        tx(h.vault.meta.as_ref(), |sql| {
            Ok((
                meta::enrolment(sql, &claire.id)?.unwrap(),
                meta::enrolment(sql, &bank)?,
            ))
        })
        .unwrap()
    });
    assert_eq!(e.created_by, office_a);
    assert_eq!(e.created_at, tuesday_morning());
    assert_eq!(e.civility.as_deref(), Some("Mme"));
    assert_eq!(e.first_names.as_deref(), Some("Claire Marie"));
    assert_eq!(e.last_name.as_deref(), Some("Martin"));
    assert_eq!(e.birth_date.unwrap().to_string(), "1984-05-12");
    let address: Value = serde_json::from_str(e.address.as_deref().unwrap()).unwrap();
    assert_eq!(address["lines"][1], "Bâtiment B");
    assert_eq!(address["postal_code"], "75002");
    // The operator's import keeps these empty.
    assert!(imported.is_none());

    // A company, its SIREN from its SIRET, an overseas mobile in E.164.
    let r = post(&ca, &h, &company("443 061 841 00047")).await;
    assert_eq!(r.status(), 201);
    let dupain: Recipient = r.json().await.unwrap();
    assert_eq!(dupain.kind, RecipientKind::Company);
    assert_eq!(dupain.siret.as_deref(), Some("44306184100047"));
    assert_eq!(dupain.siren.as_deref(), Some("443061841"));
    assert_eq!(dupain.phone_mobile.as_deref(), Some("+262692123456"));

    // Another office finds both, by name, NIR and SIRET.
    for q in [
        "name=martin".to_owned(),
        format!("nir={claire_nir}"),
        "siret=44306184100047".to_owned(),
    ] {
        let l: RecipientList = get_json(&cb, h.url(&format!("/v1/recipients?{q}"))).await;
        assert!(
            l.recipients
                .iter()
                .any(|r| r.id == claire.id || r.id == dupain.id),
            "{q}: {l:?}"
        );
    }
    let card: Recipient = get_json(&cb, h.url(&format!("/v1/recipients/{}", claire.id))).await;
    assert_eq!(card, claire);

    // Each bad input: its code, nothing stored.
    let future = (tuesday_morning() + chrono::Duration::days(1))
        .date_naive()
        .to_string();
    let wrong_key = format!(
        "{}{:02}",
        &claire_nir[..13],
        (claire_nir[13..].parse::<u8>().unwrap() % 97) + 1
    );
    let mut bad_mobile = person("autre@exemple.fr", "1984-05-12", None);
    bad_mobile["mobile"] = json!("01 23 45 67 89");
    let cases = [
        (
            person("claire@", "1984-05-12", None),
            "recipient.bad_email",
            "email",
        ),
        (bad_mobile, "recipient.bad_mobile", "mobile"),
        (
            person("autre@exemple.fr", "1984-05-12", Some(&wrong_key)),
            "recipient.bad_nir",
            "nir",
        ),
        (company("44306184100048"), "recipient.bad_siret", "siret"),
        (
            person("autre@exemple.fr", &future, None),
            "recipient.birth_date_future",
            "birth_date",
        ),
    ];
    for (body, code, field) in cases {
        let refusal = refused(&ca, &h, &body, 422).await;
        assert_eq!(refusal.code, "recipient_invalid");
        assert_eq!(refusal.problems.len(), 1, "{refusal:?}");
        assert_eq!(refusal.problems[0].code, code);
        assert_eq!(refusal.problems[0].field, field);
        assert!(refusal.message.contains(&refusal.problems[0].message));
    }
    // Several problems at once, in the order of the form.
    let mut many = company("44306184100048");
    many["email"] = json!("x@");
    let refusal = refused(&ca, &h, &many, 422).await;
    let codes: Vec<&str> = refusal.problems.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, ["recipient.bad_siret", "recipient.bad_email"]);

    // Duplicates: the existing card, never merged.
    let refusal = refused(&ca, &h, &company("73282932000074"), 409).await;
    assert_eq!(refusal.code, "recipient_duplicate");
    assert_eq!(refusal.existing.len(), 1);
    assert_eq!(refusal.existing[0].id, bank);
    assert!(
        refusal.message.contains("BANQUE TEST"),
        "{}",
        refusal.message
    );
    // Same NIR, another e-mail: from another office too.
    let refusal = refused(
        &cb,
        &h,
        &person("autre@exemple.fr", "1984-05-12", Some(&claire_nir)),
        409,
    )
    .await;
    assert_eq!(refusal.existing, std::slice::from_ref(&claire));
    assert!(
        !refusal.message.contains(&claire_nir),
        "{}",
        refusal.message
    );
    assert!(!serde_json::to_string(&refusal)
        .unwrap()
        .contains(&claire_nir));
    // Same e-mail (whatever its case) and birth date, without a NIR.
    let refusal = refused(
        &ca,
        &h,
        &person("claire.martin@EXEMPLE.FR", "1984-05-12", None),
        409,
    )
    .await;
    assert_eq!(refusal.existing, std::slice::from_ref(&claire));
    // The same e-mail with another birth date is someone else (a shared family address).
    let r = post(
        &ca,
        &h,
        &person("Claire.Martin@exemple.fr", "2010-05-12", None),
    )
    .await;
    assert_eq!(r.status(), 201);

    // A bank's certificate cannot create recipients.
    let bank_id =
        h.ca.issue(&IssueRequest::new(
            "Banque Test API",
            KeySpec::EcP256,
            Profile::Authentication,
        ))
        .unwrap();
    let fp = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bank_id.cert_der));
    tokio::task::block_in_place(|| {
        tx(h.vault.meta.as_ref(), |sql| {
            meta::bind_bank_cert(sql, &fp, &bank, tuesday_morning())
        })
        .unwrap()
    });
    let before = count(&h);
    let r = post(&h.client(Some(&bank_id)), &h, &company("55208131766522")).await;
    assert_eq!(r.status(), 403);
    assert_eq!(code(r).await, "certificate_not_bound");
    // Nor can a connection without a certificate.
    let r = h
        .client(None)
        .post(h.url("/v1/recipients"))
        .json(&company("55208131766522"))
        .send()
        .await;
    assert!(r.map(|r| r.status() != 201).unwrap_or(true));
    assert_eq!(count(&h), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_new_recipients() {
    suite(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaled_new_recipients() {
    suite(Backend::Scaled).await;
}
