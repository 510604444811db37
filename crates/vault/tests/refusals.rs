//! Refusals added with the holder and data-message checks, over real mutual TLS on loopback:
//! look-alike holders (a signature or a renewal that is not exactly the bound holder) and data
//! messages that do not have their XSD structure or do not describe the package.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;

use common::*;
use sceau_testsupport::pki::{Identity, IssueRequest, KeySpec, Profile, TestCa};

async fn harness() -> Harness {
    Harness::start(Backend::Embedded, Arc::new(sceau_vault::SceauPdfa)).await
}

/// A certificate with exactly these subject attributes (None: attribute absent).
fn subject(
    ca: &TestCa,
    cn: &str,
    given: Option<&str>,
    surname: Option<&str>,
    org: Option<&str>,
    profile: Profile,
) -> Identity {
    ca.issue(&IssueRequest {
        given_name: given.map(str::to_owned),
        surname: surname.map(str::to_owned),
        title: Some("Commissaire de justice".into()),
        organization: org.map(str::to_owned),
        ..IssueRequest::new(cn, KeySpec::EcP256, profile)
    })
    .unwrap()
}

/// Makes a data message from a package's description.
type MessageEdit = Box<dyn Fn(&PackageSpec<'_>) -> String>;

/// A one-act package whose data message is `message(spec)` instead of the genuine one.
fn package_with_message(
    spec: &PackageSpec<'_>,
    message: impl Fn(&PackageSpec<'_>) -> String,
) -> (Vec<u8>, String) {
    use std::io::Write;
    let (genuine, _) = package(spec);
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(genuine)).unwrap();
    let replacement = message(spec).into_bytes();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let name = f.name().to_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut bytes).unwrap();
        if name == "message_acte.xml" {
            bytes = replacement.clone();
        }
        zip.start_file(name, opts).unwrap();
        zip.write_all(&bytes).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    (bytes, sha)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn look_alike_holders_are_refused() {
    let h = harness().await;
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let mut n = 0;
    let mut deposit = |signer: Identity, reference: &'static str| {
        n += 1;
        let key = format!("key-holder-{n:04}");
        let (h, c, bank) = (&h, &c, bank.clone());
        async move {
            let pkg = simple_package(&signer, &bank, "SAISIE_ATTRIBUTION", reference);
            put_package(h, c, &key, &pkg).await
        }
    };
    // The genuine holder's signature certificate is accepted.
    let r = deposit(a.sign.clone(), "H0").await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let look_alikes = [
        // Same name, another office.
        (
            "other organization",
            subject(
                &h.ca,
                "Jeanne DUPONT",
                Some("Jeanne"),
                Some("DUPONT"),
                Some("Etude 9992"),
                Profile::Signature,
            ),
        ),
        // Same words, other case.
        (
            "case",
            subject(
                &h.ca,
                "Jeanne Dupont",
                Some("Jeanne"),
                Some("Dupont"),
                Some("Etude 9991"),
                Profile::Signature,
            ),
        ),
        // A trailing space in the common name.
        (
            "trailing space",
            subject(
                &h.ca,
                "Jeanne DUPONT ",
                Some("Jeanne"),
                Some("DUPONT"),
                Some("Etude 9991"),
                Profile::Signature,
            ),
        ),
        // The holder's name as a prefix of a longer one (a substring match would take it).
        (
            "longer name",
            subject(
                &h.ca,
                "Jeanne DUPONT-MARTIN",
                Some("Jeanne"),
                Some("DUPONT-MARTIN"),
                Some("Etude 9991"),
                Profile::Signature,
            ),
        ),
        // The whole subject text written into the common name, with no organization: an
        // unescaped rendering of the name would read the same.
        (
            "forged rendering",
            subject(
                &h.ca,
                "Jeanne DUPONT,O=Etude 9991",
                None,
                None,
                None,
                Profile::Signature,
            ),
        ),
    ];
    for (what, signer) in look_alikes {
        let r = deposit(signer, "HX").await;
        assert_eq!(r.status(), 422, "{what}");
        assert_eq!(code(r).await, "signer_mismatch", "{what}");
    }

    // Binding: a look-alike cannot join the holder's office space...
    let other = subject(
        &h.ca,
        "Jeanne DUPONT",
        Some("Jeanne"),
        Some("DUPONT"),
        Some("Etude 9991 "),
        Profile::Authentication,
    );
    let oc = h.client(Some(&other));
    let r = try_bind(&oc, &h.url(""), "9991", "Etude 9991").await;
    assert_eq!(r.status(), 403);
    assert_eq!(code(r).await, "bind_other_holder");
    // ... and a certificate naming nobody (a common name alone) binds nothing.
    let nobody = subject(
        &h.ca,
        "Jeanne DUPONT",
        None,
        None,
        None,
        Profile::Authentication,
    );
    let nc = h.client(Some(&nobody));
    let r = try_bind(&nc, &h.url(""), "7777", "Etude 7777").await;
    assert_eq!(r.status(), 403);
    assert_eq!(code(r).await, "holder_unidentified");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_message_structure_and_contents_are_checked() {
    data_message_checks(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_message_structure_and_contents_are_checked_on_postgres_and_s3() {
    data_message_checks(Backend::Scaled).await;
}

async fn data_message_checks(backend: Backend) {
    let h = Harness::start(backend, Arc::new(sceau_vault::SceauPdfa)).await;
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let pdf = pdfa_act("DM");
    let sig = sign(&a.sign, &pdf);
    let name = "9991_DM_20260303_100000.pdf".to_owned();
    let spec = PackageSpec {
        recipient_id: &bank,
        nature: "SAISIE_ATTRIBUTION",
        reference: "DM",
        judge_permission: None,
        acts: vec![(name.clone(), pdf.clone(), sig.clone())],
    };
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&pdf));
    let cases: Vec<(&str, MessageEdit, &str)> = vec![
        (
            "empty element of the old placeholder form",
            Box::new(|_| {
                format!(
                    "<message_acte xmlns=\"{}\"/>",
                    sceau_core::attestation::ACT_MESSAGE_NS
                )
            }),
            "data_message_invalid",
        ),
        (
            "missing reference",
            Box::new(|s| {
                let g = data_message(s);
                let a = g.find("<reference>").unwrap();
                let b = g.find("</reference>").unwrap() + "</reference>".len();
                format!("{}{}", &g[..a], &g[b..])
            }),
            "data_message_invalid",
        ),
        (
            "digest of another file",
            Box::new(move |s| data_message(s).replace(&sha, &"0".repeat(64))),
            "data_message_mismatch",
        ),
        (
            "other size",
            Box::new(move |s| {
                let len = s.acts[0].1.len();
                data_message(s).replace(
                    &format!("<taille>{len}</taille>"),
                    &format!("<taille>{}</taille>", len + 1),
                )
            }),
            "data_message_mismatch",
        ),
        (
            "other document name",
            Box::new(|s| data_message(s).replace("<nom>9991_DM_", "<nom>9991_XX_")),
            "data_message_mismatch",
        ),
        (
            "other reference",
            Box::new(|s| data_message(s).replace("<reference>DM<", "<reference>AUTRE<")),
            "data_message_mismatch",
        ),
        // The service draft's rule (`sceau_core::draft`), as the workstation applies it: a
        // requérant of 201 characters, or holding a control character, is not served.
        (
            "requérant over 200 characters",
            Box::new(|s| {
                data_message(s).replace(
                    "<nom>SA CREANCIER</nom>",
                    &format!("<nom>{}</nom>", "É".repeat(201)),
                )
            }),
            "bad_package",
        ),
        (
            "requérant with a tab",
            Box::new(|s| {
                data_message(s).replace("<nom>SA CREANCIER</nom>", "<nom>SA\tCREANCIER</nom>")
            }),
            "bad_package",
        ),
    ];
    for (i, (what, message, want)) in cases.into_iter().enumerate() {
        let pkg = package_with_message(&spec, message);
        let r = put_package(&h, &c, &format!("key-message-{i:04}"), &pkg).await;
        assert_eq!(r.status(), 422, "{what}");
        assert_eq!(code(r).await, want, "{what}");
    }
    // A reference over the draft's limit (101 characters; the vault used to take 200 bytes).
    let long = "R".repeat(sceau_core::draft::REFERENCE_MAX + 1);
    let pkg = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", &long);
    let r = put_package(&h, &c, "key-message-long-ref", &pkg).await;
    assert_eq!(r.status(), 422);
    assert_eq!(code(r).await, "bad_package");
    // The genuine message is accepted.
    let r = put_package(&h, &c, "key-message-genuine", &package(&spec)).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// Concurrent deposits share group commits; a deposit refused inside a group (the same key
/// with other content, racing) is rolled back alone and the others are all committed, each
/// with its journal lines, the chain intact.
async fn concurrent_deposits_commit_together(b: Backend) {
    let h = Harness::start(b, Arc::new(sceau_vault::SceauPdfa)).await;
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        // Two of them race on one key with different contents.
        let (key, reference) = match i {
            10 => ("key-race-same".to_owned(), "RACE-A".to_owned()),
            11 => ("key-race-same".to_owned(), "RACE-B".to_owned()),
            _ => (format!("key-group-{i:04}"), format!("G{i}")),
        };
        let pkg = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", &reference);
        let (c, url) = (c.clone(), h.url(&format!("/v1/deposits/{key}")));
        tasks.push(tokio::spawn(async move {
            let r = c
                .put(url)
                .header(sceau_proto::CONTENT_SHA256_HEADER, &pkg.1)
                .body(pkg.0)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }));
    }
    let mut ok = 0;
    let mut conflicts = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            200 => ok += 1,
            409 => {
                assert!(body.contains("idempotency_conflict"), "{body}");
                conflicts += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!((ok, conflicts), (11, 1));
    let (deposits, lines) = h
        .vault
        .db(|sql| {
            Ok((
                sql.query("SELECT COUNT(*) FROM deposits", &[])?[0][0].int(),
                sql.query(
                    "SELECT COUNT(*) FROM journal WHERE deposit_id IN (SELECT id FROM deposits)",
                    &[],
                )?[0][0]
                    .int(),
            ))
        })
        .await
        .unwrap();
    assert_eq!(deposits, 11);
    assert_eq!(
        lines, 44,
        "four journal lines per committed deposit, none for the refused one"
    );
    assert!(matches!(
        tokio::task::block_in_place(|| sceau_vault::journal::verify(h.vault.meta.as_ref()))
            .unwrap(),
        sceau_vault::journal::Verification::Intact { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_concurrent_deposits_commit_together() {
    concurrent_deposits_commit_together(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaled_concurrent_deposits_commit_together() {
    concurrent_deposits_commit_together(Backend::Scaled).await;
}

/// An entry compressed (deflate) instead of stored is named as such, not reported absent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_entry_is_refused_as_compressed() {
    let h = harness().await;
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let pdf = pdfa_act("ZIP");
    let sig = sign(&a.sign, &pdf);
    let spec = PackageSpec {
        recipient_id: &bank,
        nature: "SAISIE_ATTRIBUTION",
        reference: "ZIP",
        judge_permission: None,
        acts: vec![("9991_ZIP_20260303_100000.pdf".into(), pdf, sig)],
    };
    let (mut bytes, _) = package(&spec);
    // manifest.json is the first entry: its method (deflate: 8) in the local header (offset
    // 8) and in its central directory header (offset 10).
    assert_eq!(&bytes[30..43], b"manifest.json");
    bytes[8] = 8;
    let central = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    assert_eq!(&bytes[central + 46..central + 59], b"manifest.json");
    bytes[central + 10] = 8;
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    let r = put_package(&h, &c, "key-compressed", &(bytes, sha)).await;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("manifest.json compressé"), "{body}");
}

/// A consent's last day is covered to its end, and the deposit attestation says so: the expiry
/// it records is the start of the next day (Paris), after the deposit — not the start of the
/// last day, which would make the record contradict the acceptance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_on_the_consent_s_last_day_records_an_expiry_after_it() {
    let h = harness().await;
    let row = recipient_row(
        "derniere",
        sceau_proto::RecipientKind::Company,
        "DERNIER JOUR SA".into(),
        Some("dj@exemple.test"),
        Some("+33600000009"),
    );
    let now = tuesday_morning();
    let last_day = now.with_timezone(&sceau_core::PARIS).date_naive();
    tokio::task::block_in_place(|| {
        sceau_vault::store::sql::tx(h.vault.meta.as_ref(), |sql| {
            sceau_vault::store::meta::upsert_recipient(sql, &row)
        })
        .unwrap();
        sceau_vault::admin::add_consent(
            h.vault.meta.as_ref(),
            "derniere",
            sceau_vault::admin::NatureChoice::Every,
            sceau_core::paris_day_start(last_day - chrono::Duration::days(30)),
            Some(sceau_vault::admin::parse_instant(&last_day.to_string(), true).unwrap()),
            "convention",
            now,
        )
        .unwrap();
    });
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let pkg = simple_package(&a.sign, "derniere", "COMMANDEMENT_DE_PAYER", "DERNIER");
    let r = put_package(&h, &c, "key-last-day", &pkg).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let receipt: sceau_proto::DepositReceipt = r.json().await.unwrap();
    let archive = c
        .get(h.url("/v1/vault/file"))
        .query(&[("path", receipt.archive_path.as_str())])
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive.to_vec())).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("attestation_depot.xml").unwrap(), &mut xml)
        .unwrap();
    let start = xml.find("<dateExpiration>").expect("an expiry") + "<dateExpiration>".len();
    let end = xml[start..].find('<').unwrap() + start;
    let expires = chrono::DateTime::parse_from_rfc3339(&xml[start..end])
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert!(
        expires > receipt.deposited_at,
        "{expires} ≤ {}",
        receipt.deposited_at
    );
    assert_eq!(
        expires,
        sceau_core::paris_day_start(last_day.succ_opt().unwrap())
    );
}
