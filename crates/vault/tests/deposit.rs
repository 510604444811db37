//! Deposits over real mutual TLS on loopback, on both backends: acceptance and its proofs
//! (xmllint, openssl cms, openssl ts, verify-journal), idempotency, refusals with their codes.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::process::Command;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use common::*;
use sceau_proto::DepositReceipt;
use sceau_testsupport::pki::Profile;
use sceau_vault::journal::Verification;

async fn harness(b: Backend) -> Harness {
    Harness::start(b, Arc::new(sceau_vault::SceauPdfa)).await
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn accepted_deposit_and_its_proofs(b: Backend) {
    let h = harness(b).await;
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let pkg = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "REF_ANNECY");
    let r = put_package(&h, &c, "key-0000000001", &pkg).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let receipt: DepositReceipt = r.json().await.unwrap();
    assert_eq!(receipt.deposited_at, h.clock.now_for_test());
    assert!(
        receipt.archive_name.starts_with("BANQUE_TEST__REF_ANNECY_"),
        "{}",
        receipt.archive_name
    );
    assert!(receipt.archive_name.ends_with(".zip"));

    // The archive, from the office's vault entry.
    let mut archive = archived(&h, "9991", &receipt.archive_path).await;
    assert!(archive.entry.retained_until.unwrap() > receipt.deposited_at + Duration::days(365 * 9));
    let mut read = |name: &str| archive.read(name);
    let message = read("message_acte.xml");
    let xml = read("attestation_depot.xml");
    let seal = read("attestation_depot.xml.p7s");
    let tst = read("attestation_depot.xml.tst");
    let act = read("9991_REF_ANNECY_20260303_100000.pdf");
    assert!(sceau_pdfa::check_pdfa1b(&act).conformant);
    assert_eq!(
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&xml)),
        receipt.attestation_sha256
    );

    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("att.xml"), &xml).unwrap();
    std::fs::write(p("att.p7s"), &seal).unwrap();
    std::fs::write(p("att.tst"), &tst).unwrap();
    let xsd = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../resources/schemas/attestation_depot.xsd");
    run(Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(p("att.xml")));
    std::fs::write(p("msg.xml"), &message).unwrap();
    run(Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd.with_file_name("message_acte.xsd"))
        .arg(p("msg.xml")));
    let vault_ca = h.config.data_dir.join(sceau_vault::keys::files::CA_CERT);
    run(Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-in",
        ])
        .arg(p("att.p7s"))
        .arg("-content")
        .arg(p("att.xml"))
        .arg("-CAfile")
        .arg(&vault_ca)
        .args(["-out", "/dev/null"]));
    let out = run(Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(p("att.tst"))
        .arg("-data")
        .arg(p("att.xml"))
        .arg("-CAfile")
        .arg(&vault_ca));
    assert!(out.contains("Verification: OK"), "{out}");
    // The attestation names the sender and the consent relied on.
    let text = String::from_utf8(xml).unwrap();
    assert!(text.contains("9991"));
    assert!(text.contains(&a.auth.serial_hex()) || text.contains("Jeanne DUPONT"));

    // The vault's TSA also answers clients (RFC 3161 over HTTP), checked by openssl.
    let req = p("q.tsq");
    run(Command::new("openssl")
        .args(["ts", "-query", "-sha256", "-cert", "-data"])
        .arg(p("att.xml"))
        .arg("-out")
        .arg(&req));
    let reply = c
        .post(h.url("/v1/tsa"))
        .header("content-type", "application/timestamp-query")
        .body(std::fs::read(&req).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        reply.headers()["content-type"],
        "application/timestamp-reply"
    );
    std::fs::write(p("r.tsr"), reply.bytes().await.unwrap()).unwrap();
    run(Command::new("openssl")
        .args(["ts", "-verify", "-in"])
        .arg(p("r.tsr"))
        .arg("-queryfile")
        .arg(&req)
        .arg("-CAfile")
        .arg(&vault_ca));

    // Journal: intact (the recipient's consent, then the deposit's four lines), then broken
    // by a one-byte change.
    assert_eq!(
        tokio::task::block_in_place(|| sceau_vault::journal::verify(h.vault.meta.as_ref()))
            .unwrap(),
        Verification::Intact { count: 5 }
    );
    h.vault
        .db(|sql| {
            let rows = sql.query("SELECT record FROM journal WHERE seq = 2", &[])?;
            let mut rec = rows[0][0].text().to_owned().into_bytes();
            let i = rec.len() / 2;
            rec[i] = if rec[i] == b'0' { b'1' } else { b'0' };
            sql.exec(
                "UPDATE journal SET record = $1 WHERE seq = 2",
                &[String::from_utf8(rec).unwrap().into()],
            )
        })
        .await
        .unwrap();
    assert_eq!(
        tokio::task::block_in_place(|| sceau_vault::journal::verify(h.vault.meta.as_ref()))
            .unwrap(),
        Verification::Broken { seq: 2 }
    );
}

trait NowForTest {
    fn now_for_test(&self) -> chrono::DateTime<Utc>;
}
impl NowForTest for sceau_vault::config::FixedClock {
    fn now_for_test(&self) -> chrono::DateTime<Utc> {
        use sceau_vault::config::Clock;
        self.now()
    }
}

async fn idempotency(b: Backend) {
    let h = harness(b).await;
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let pkg = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "IDEM");
    // First attempt: the connection drops in the middle of the body.
    let half = pkg.0[..pkg.0.len() / 2].to_vec();
    let stream = futures_util::stream::iter(vec![
        Ok::<_, std::io::Error>(half),
        Err(std::io::Error::other("cable pulled")),
    ]);
    // Its own client: the dropped connection must not be reused from a pool.
    let dropped = h
        .client(Some(&a.auth))
        .put(h.url("/v1/deposits/key-idem-0001"))
        .header(sceau_proto::CONTENT_SHA256_HEADER, &pkg.1)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await;
    assert!(dropped.is_err() || !dropped.unwrap().status().is_success());
    let mut receipts = Vec::new();
    for _ in 0..3 {
        let r = put_package(&h, &c, "key-idem-0001", &pkg).await;
        assert_eq!(r.status(), 200);
        receipts.push(r.json::<DepositReceipt>().await.unwrap());
    }
    assert!(receipts.windows(2).all(|w| w[0] == w[1]));
    let n = h
        .vault
        .db(|sql| Ok(sql.query("SELECT COUNT(*) FROM deposits", &[])?[0][0].int()))
        .await
        .unwrap();
    assert_eq!(n, 1);
    // Same key, other content.
    let other = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "AUTRE");
    let r = put_package(&h, &c, "key-idem-0001", &other).await;
    assert_eq!(r.status(), 409);
    assert_eq!(code(r).await, "idempotency_conflict");
    // A wrong announced digest.
    let r = c
        .put(h.url("/v1/deposits/key-idem-0002"))
        .header(sceau_proto::CONTENT_SHA256_HEADER, "ab".repeat(32))
        .body(pkg.0.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "digest_mismatch");
}

async fn refusals(b: Backend) {
    let h = harness(b).await;
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let mut n = 0;
    let mut expect = |pkg: (Vec<u8>, String), want: &'static str| {
        n += 1;
        let key = format!("key-refusal-{n:04}");
        let (h, c) = (&h, &c);
        async move {
            let r = put_package(h, c, &key, &pkg).await;
            assert!(!r.status().is_success());
            assert_eq!(code(r).await, want);
        }
    };
    // A data message written for another recipient, or by another office, than the deposit's:
    // refused with its own code, and a French reason naming both.
    let other_message = |office: &str, recipient: &str| {
        let pdf = pdfa_act("RDM");
        let sig = sign(&a.sign, &pdf);
        let name = "9991_RDM_20260303_100000.pdf";
        let manifest = sceau_testsupport::deposit::manifest(
            "RDM",
            &bank,
            "SAISIE_ATTRIBUTION",
            None,
            sceau_proto::Source::Form,
            &[name],
        );
        let message = sceau_testsupport::deposit::act_message_for(
            &sceau_testsupport::deposit::ActMessage {
                nature: "SAISIE_ATTRIBUTION",
                reference: "RDM",
                judge_permission: None,
                at: tuesday_morning(),
                documents: &[(name, &pdf)],
            },
            office,
            recipient,
        );
        sceau_testsupport::deposit::package_zip(&manifest, &[(name, &pdf, &sig)], &message, &[])
            .unwrap()
    };
    for (office, recipient, says) in [
        ("9991", "MARTIN Claire", "MARTIN Claire"),
        ("1234", "BANQUE TEST", "étude 1234"),
    ] {
        let r = put_package(
            &h,
            &c,
            &format!("cle-dm-{office}"),
            &other_message(office, recipient),
        )
        .await;
        assert_eq!(r.status(), 422);
        let body: sceau_proto::ErrorBody = r.json().await.unwrap();
        assert_eq!(body.code, "data_message_mismatch");
        assert!(body.message.contains(says), "{}", body.message);
    }
    // The same package with the right names passes (words compared without case or order).
    let r = put_package(&h, &c, "cle-dm-ok", &other_message("9991", "Banque test")).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // Unknown recipient, no consent.
    expect(
        simple_package(&a.sign, "inconnu", "SAISIE_ATTRIBUTION", "R1"),
        "unknown_recipient",
    )
    .await;
    let row = recipient_row(
        "societe-sans-consentement",
        sceau_proto::RecipientKind::Company,
        "SOCIETE".into(),
        None,
        None,
    );
    tokio::task::block_in_place(|| {
        sceau_vault::store::sql::tx(h.vault.meta.as_ref(), |sql| {
            sceau_vault::store::meta::upsert_recipient(sql, &row)
        })
    })
    .unwrap();
    expect(
        simple_package(&a.sign, &row.id, "SAISIE_ATTRIBUTION", "R2"),
        "no_consent",
    )
    .await;
    // Bad signature (act changed after signing), other holder, non-PDF/A.
    let pdf = pdfa_act("R3");
    let sig = sign(&a.sign, &pdf);
    let mut tampered = pdf.clone();
    let i = tampered.len() / 2;
    tampered[i] ^= 1;
    expect(
        package(&PackageSpec {
            recipient_id: &bank,
            nature: "SAISIE_ATTRIBUTION",
            reference: "R3",
            judge_permission: None,
            acts: vec![("9991_R3_20260303_100000.pdf".into(), tampered, sig)],
        }),
        "bad_signature",
    )
    .await;
    let other = person(&h.ca, "Paul MARTIN", "Etude 1234", Profile::Signature);
    expect(
        simple_package(&other, &bank, "SAISIE_ATTRIBUTION", "R4"),
        "signer_mismatch",
    )
    .await;
    // Signed by the holder's authentication certificate: not a signature certificate.
    expect(
        simple_package(&a.auth, &bank, "SAISIE_ATTRIBUTION", "R5"),
        "signer_mismatch",
    )
    .await;
    let plain = sceau_testsupport::corpus::simple_pdf("R6", &["pas PDF/A"]);
    let sig = sign(&a.sign, &plain);
    expect(
        package(&PackageSpec {
            recipient_id: &bank,
            nature: "SAISIE_ATTRIBUTION",
            reference: "R6",
            judge_permission: None,
            acts: vec![("9991_R6_20260303_100000.pdf".into(), plain, sig)],
        }),
        "not_pdfa",
    )
    .await;
    // A package with an entry that is neither an act, its signature nor the data message.
    let pdf = pdfa_act("R12");
    let sig = sign(&a.sign, &pdf);
    expect(
        package_with(
            &PackageSpec {
                recipient_id: &bank,
                nature: "SAISIE_ATTRIBUTION",
                reference: "R12",
                judge_permission: None,
                acts: vec![("9991_R12_20260303_100000.pdf".into(), pdf, sig)],
            },
            &[("../notes.txt", b"x")],
        ),
        "bad_package",
    )
    .await;
    // Recipient's window: only 08:00-09:00 for this nature (the clock says 10:00 or later).
    let rule = sceau_core::hours::ReceptionRule {
        windows: vec![sceau_vault::admin::parse_window("mon,tue,wed,thu,fri 08:00-09:00").unwrap()],
    };
    tokio::task::block_in_place(|| {
        sceau_vault::admin::set_rule(h.vault.meta.as_ref(), &bank, "SAISIE_VENTE", &rule)
    })
    .unwrap();
    expect(
        simple_package(&a.sign, &bank, "SAISIE_VENTE", "R7"),
        "closed",
    )
    .await;
    let status: sceau_proto::ReceptionStatus = get_json(
        &c,
        h.url(&format!("/v1/recipients/{bank}/reception/SAISIE_VENTE")),
    )
    .await;
    assert!(!status.open);
    assert_eq!(
        status.reason.as_deref(),
        Some("hours.outside_recipient_window")
    );
    assert!(status.next_opening.unwrap() > h.clock.now_for_test());
    // Sunday, a public holiday, and 22:00.
    let tuesday = h.clock.now_for_test();
    h.clock.set(tuesday - Duration::days(2));
    expect(
        simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "R8"),
        "closed",
    )
    .await;
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 12, 25, 10, 0, 0).unwrap());
    if h.clock.now_for_test() > tuesday - Duration::days(1) {
        expect(
            simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "R9"),
            "closed",
        )
        .await;
    }
    h.clock.set(tuesday + Duration::hours(12));
    expect(
        simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "R10"),
        "closed",
    )
    .await;
    // A judge's permission lifts the legal hours.
    h.clock.set(tuesday - Duration::days(2));
    let pdf = pdfa_act("R11");
    let sig = sign(&a.sign, &pdf);
    let pkg = package(&PackageSpec {
        recipient_id: &bank,
        nature: "SAISIE_ATTRIBUTION",
        reference: "R11",
        judge_permission: Some("Ordonnance 26/123"),
        acts: vec![("9991_R11_20260303_100000.pdf".into(), pdf, sig)],
    });
    let r = put_package(&h, &c, "key-judge-0001", &pkg).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // Every refusal is in the journal, which still verifies.
    assert!(matches!(
        tokio::task::block_in_place(|| sceau_vault::journal::verify(h.vault.meta.as_ref()))
            .unwrap(),
        Verification::Intact { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_large_packages_and_acts_are_refused() {
    let h = Harness::start_with(
        Backend::Embedded,
        Arc::new(sceau_vault::SceauPdfa),
        |cfg, _| {
            cfg.max_package_bytes = 8 * 1024;
        },
    )
    .await;
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let pkg = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "GROS");
    assert!(pkg.0.len() > 8 * 1024 && pkg.0.len() < 200 * 1024);
    let r = put_package(&h, &c, "key-large-0001", &pkg).await;
    assert_eq!(r.status(), 413);
    assert_eq!(code(r).await, "too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_accepted_deposit_and_its_proofs() {
    accepted_deposit_and_its_proofs(Backend::Embedded).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaled_accepted_deposit_and_its_proofs() {
    accepted_deposit_and_its_proofs(Backend::Scaled).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_idempotency() {
    idempotency(Backend::Embedded).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaled_idempotency() {
    idempotency(Backend::Scaled).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_refusals() {
    refusals(Backend::Embedded).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaled_refusals() {
    refusals(Backend::Scaled).await;
}
