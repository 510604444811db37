//! Issue 19, the place of a service: the vault's acceptance and reception status read the legal
//! hours (CPC 664) in the governing place's local time and calendar — the recipient's place,
//! else the office's —, name the zone in the refusal when it is not Paris's, and record the
//! place on the deposit. An Alsatian office on 26 December: its Alsatian recipient refused, a
//! Parisian accepted, a recipient without a place refused (the office's place); a Martinique
//! recipient at 20:30 local accepted and at 21:30 refused. On both backends (migration step 7).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use common::*;
use sceau_core::region::Region;
use sceau_testsupport::pki::Identity;
use sceau_vault::store::meta;

fn at(tz: chrono_tz::Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A person consenting to every nature, at `region` when given.
fn person(h: &Harness, id: &str, name: &str, region: Option<&str>) -> String {
    let row = recipient_row(
        id,
        sceau_proto::RecipientKind::Person,
        name.into(),
        Some("personne@exemple.test"),
        Some("+33612345678"),
    );
    let given = (tuesday_morning() - chrono::Duration::days(365)).date_naive();
    add_recipient_with_consent(h, &row, given, "convention");
    let region = region.map(|c| Region::from_code(c).unwrap());
    tokio::task::block_in_place(|| {
        sceau_vault::store::sql::tx(h.vault.meta.as_ref(), |sql| {
            meta::set_recipient_region(sql, id, region.as_ref())
        })
    })
    .unwrap();
    row.id
}

fn office_at(h: &Harness, number: &str, code: &str) {
    let region = Region::from_code(code).unwrap();
    let set = tokio::task::block_in_place(|| {
        sceau_vault::store::sql::tx(h.vault.meta.as_ref(), |sql| {
            meta::set_office_region(sql, number, Some(&region))
        })
    })
    .unwrap();
    assert!(set, "office {number} is declared");
}

struct Office<'a> {
    h: &'a Harness,
    c: reqwest::Client,
    a: OfficeIds,
    n: usize,
}

impl Office<'_> {
    /// Deposits one act to `recipient`: the answer's status and `{code, message}` when refused.
    async fn serve(&mut self, recipient: &str) -> Result<DepositReceiptLite, (String, String)> {
        self.n += 1;
        let reference = format!("LIEU{}", self.n);
        let pkg = simple_package(&self.a.sign, recipient, "SAISIE_ATTRIBUTION", &reference);
        let r = put_package(self.h, &self.c, &format!("cle-lieu-{}", self.n), &pkg).await;
        if r.status().is_success() {
            Ok(r.json().await.unwrap())
        } else {
            let body: sceau_proto::ErrorBody = r.json().await.unwrap();
            Err((body.code, body.message))
        }
    }

    async fn status(&self, recipient: &str) -> sceau_proto::ReceptionStatus {
        get_json(
            &self.c,
            self.h.url(&format!(
                "/v1/recipients/{recipient}/reception/SAISIE_ATTRIBUTION"
            )),
        )
        .await
    }

    /// The governing place recorded on deposit `id`.
    fn recorded_place(&self, id: &str) -> Option<Region> {
        let id = id.to_owned();
        tokio::task::block_in_place(|| {
            sceau_vault::store::sql::tx(self.h.vault.meta.as_ref(), |sql| {
                meta::deposit_any(sql, &id)
            })
        })
        .unwrap()
        .unwrap()
        .region
    }
}

#[derive(serde::Deserialize)]
struct DepositReceiptLite {
    deposit_id: String,
}

async fn the_recipient_s_place_governs(b: Backend) {
    let h = Harness::start(b, Arc::new(sceau_vault::SceauPdfa)).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    office_at(&h, "9991", "67");
    let strasbourg = person(&h, "strasbourg", "Marie MULLER", Some("67"));
    let paris = person(&h, "paris", "Paul MARTIN", Some("75"));
    let martinique = person(&h, "fort-de-france", "Lea JOSEPH", Some("972"));
    let unknown = person(&h, "sans-lieu", "Jean SANSLIEU", None);
    let mut o = Office { h: &h, c, a, n: 0 };

    // Saturday 26 December 2026, 10:00 in Paris and Strasbourg: Saint-Étienne in Alsace-Moselle.
    h.clock.set(at(sceau_core::PARIS, 2026, 12, 26, 10, 0));
    let (code, message) = o.serve(&strasbourg).await.err().unwrap();
    assert_eq!(code, "closed");
    assert!(message.contains("Saint-Étienne"), "{message}");
    let status = o.status(&strasbourg).await;
    assert!(!status.open);
    assert_eq!(status.reason.as_deref(), Some("hours.public_holiday"));
    // The same office, the same day, a Parisian recipient: accepted, in Paris's place.
    assert!(o.status(&paris).await.open);
    let ok = o.serve(&paris).await.unwrap();
    assert_eq!(o.recorded_place(&ok.deposit_id), Some(Region::PARIS));
    // A recipient without a known place: the office's (Alsace-Moselle) governs.
    assert_eq!(o.serve(&unknown).await.err().unwrap().0, "closed");
    assert!(!o.status(&unknown).await.open);

    // Tuesday 12 January 2027 in Martinique (UTC−4): 20:30 local is 01:30 in Paris.
    let mq = chrono_tz::America::Martinique;
    h.clock.set(at(mq, 2027, 1, 12, 20, 30));
    assert!(o.status(&martinique).await.open);
    let ok = o.serve(&martinique).await.unwrap();
    assert_eq!(
        o.recorded_place(&ok.deposit_id),
        Some("972".parse().unwrap())
    );
    // Paris's recipient at that instant: 01:30, before six.
    assert_eq!(o.serve(&paris).await.err().unwrap().0, "closed");
    h.clock.set(at(mq, 2027, 1, 12, 21, 30));
    let (code, message) = o.serve(&martinique).await.err().unwrap();
    assert_eq!(code, "closed");
    assert!(
        message.contains(
            "Prochaine ouverture : le 13/01/2027 à 06:00, heure de Martinique \
             (America/Martinique)."
        ),
        "{message}"
    );
    let status = o.status(&martinique).await;
    assert_eq!(status.reason.as_deref(), Some("hours.after_nine"));
    assert_eq!(status.next_opening, Some(at(mq, 2027, 1, 13, 6, 0)));
    assert!(status.message.unwrap().contains("heure de Martinique"));
    // The zone travels as data, for the window to write the next opening in local time.
    assert_eq!(status.time_zone.as_deref(), Some("America/Martinique"));
    assert_eq!(
        status.zone_named.as_deref(),
        Some("heure de Martinique (America/Martinique)")
    );
    let paris_status = o.status(&paris).await;
    assert_eq!(paris_status.time_zone.as_deref(), Some("Europe/Paris"));
    assert_eq!(paris_status.zone_named, None);
}

/// Where the places come from: a person enrolled by an office gets her postal code's
/// département (Martinique), a company enrolled by an office none (its registered office is not
/// sent); an operator import takes `region` or `postal_code`; the office's place is kept across
/// a re-declaration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn places_come_from_the_address_the_import_and_the_declaration() {
    let h = Harness::start(Backend::Embedded, Arc::new(sceau_vault::SceauPdfa)).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let birth = (tuesday_morning() - chrono::Duration::days(365 * 30)).date_naive();
    let person = serde_json::json!({
        "kind": "person", "civility": "Mme", "first_names": "Léa",
        "last_name": "Joseph", "birth_date": birth.to_string(), "email": "lea@exemple.mq",
        "mobile": "+596 696 12 34 56",
        "address": {"lines": ["1 rue Victor Hugo"], "postal_code": "97200",
                    "city": "Fort-de-France"},
    });
    let company = serde_json::json!({"kind": "company", "siret": "73282932000074",
        "name": "Société X", "email": "contact@x.fr", "mobile": "06 12 34 56 78"});
    let mut ids = Vec::new();
    for body in [person, company] {
        let r = c
            .post(h.url("/v1/recipients"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        ids.push(r.json::<sceau_proto::Recipient>().await.unwrap().id);
    }
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("import.csv");
    std::fs::write(
        &csv,
        "id;kind;name;email;region;postal_code\n\
         imp-1;person;Jean PAYET;j@x.re;;97400\n\
         imp-2;company;Elsass SA;e@x.fr;67;\n\
         imp-3;company;Sans Lieu SA;s@x.fr;;\n",
    )
    .unwrap();
    tokio::task::block_in_place(|| {
        sceau_vault::admin::import_recipients(h.vault.meta.as_ref(), &csv).unwrap()
    });
    office_at(&h, "9991", "972");
    h.declare_office("9991", &holder_of(&a.auth));
    let places = tokio::task::block_in_place(|| {
        sceau_vault::store::sql::tx(h.vault.meta.as_ref(), |sql| {
            let mut out = Vec::new();
            for id in [&ids[0], &ids[1]].into_iter().chain(&[
                "imp-1".to_owned(),
                "imp-2".to_owned(),
                "imp-3".to_owned(),
            ]) {
                out.push(meta::recipient_region(sql, id)?.map(|r| r.code().to_owned()));
            }
            out.push(meta::office_region(sql, "9991")?.map(|r| r.code().to_owned()));
            Ok(out)
        })
    })
    .unwrap();
    let want: Vec<Option<String>> = [
        Some("972"),
        None,
        Some("974"),
        Some("67"),
        None,
        Some("972"),
    ]
    .into_iter()
    .map(|c| c.map(str::to_owned))
    .collect();
    assert_eq!(places, want);
}

/// A one-act package to `recipient` whose manifest says the office is in Alsace-Moselle.
fn alsatian_package(signer: &Identity, recipient: &str, reference: &str) -> (Vec<u8>, String) {
    let pdf = pdfa_act(reference);
    let sig = sign(signer, &pdf);
    let name = format!(
        "{}_{reference}_20260303_100000.pdf",
        office_number_of(signer)
    );
    let spec = PackageSpec {
        recipient_id: recipient,
        nature: "SAISIE_ATTRIBUTION",
        reference,
        judge_permission: None,
        acts: vec![(name.clone(), pdf.clone(), sig.clone())],
    };
    let mut manifest = sceau_testsupport::deposit::manifest(
        reference,
        recipient,
        "SAISIE_ATTRIBUTION",
        None,
        sceau_proto::Source::Form,
        &[&name],
    );
    manifest.office_alsace_moselle = true;
    let acts = [(name.as_str(), pdf.as_slice(), sig.as_slice())];
    sceau_testsupport::deposit::package_zip(&manifest, &acts, &data_message(&spec), &[]).unwrap()
}

/// An office whose place the operator did not declare, configured for Alsace-Moselle: its
/// deposit on 26 December to a recipient of unknown place is refused, as its reception check
/// says (the manifest carries its word; the recipient's place still comes first).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_office_s_alsatian_calendar_closes_26_december() {
    let h = Harness::start(Backend::Embedded, Arc::new(sceau_vault::SceauPdfa)).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let unknown = person(&h, "sans-lieu", "Jean SANSLIEU", None);
    let paris = person(&h, "paris", "Paul MARTIN", Some("75"));
    h.clock.set(at(sceau_core::PARIS, 2026, 12, 26, 10, 0));
    let r = put_package(
        &h,
        &c,
        "cle-alsace-0001",
        &alsatian_package(&a.sign, &unknown, "AM1"),
    )
    .await;
    assert_eq!(code(r).await, "closed");
    let r = put_package(
        &h,
        &c,
        "cle-alsace-0002",
        &alsatian_package(&a.sign, &paris, "AM2"),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // Without the office's word, the vault's default place (Paris) is open that day.
    let pkg = simple_package(&a.sign, &unknown, "SAISIE_ATTRIBUTION", "AM3");
    let r = put_package(&h, &c, "cle-alsace-0003", &pkg).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipient_s_place_governs_embedded() {
    the_recipient_s_place_governs(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipient_s_place_governs_on_postgres_and_s3() {
    the_recipient_s_place_governs(Backend::Scaled).await;
}
