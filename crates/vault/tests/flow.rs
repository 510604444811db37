//! The single XML flow (arrêté of 28 August 2012, art. 8 as amended in 2021): built by the
//! office, rebuilt and compared byte for byte by the vault, kept in the archive and named in the
//! sealed attestation, served to the recipient by the bank API and the portal — checked with
//! tools we did not write (xmllint against `flux_acte.xsd`, openssl cms on the extracted act and
//! signature).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::io::Read;
use std::process::Command;
use std::sync::Arc;

use base64::Engine;
use common::*;
use sceau_proto::DepositReceipt;
use sceau_testsupport::pki::{IssueRequest, KeySpec, Profile};
use sceau_vault::store::meta;
use sceau_vault::store::sql::tx;
use sha2::{Digest, Sha256};

const FLOW: &str = sceau_core::flow::FLOW_NAME;

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?}: {text}");
    text
}

/// The text between `open` and the next `close` after it, from `from`.
fn between<'a>(s: &'a str, open: &str, close: &str) -> &'a str {
    let start = s.find(open).unwrap() + open.len();
    let end = s[start..].find(close).unwrap() + start;
    &s[start..end]
}

fn unbase64(text: &str) -> Vec<u8> {
    let joined: String = text.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(joined)
        .unwrap()
}

fn deposits(h: &Harness) -> i64 {
    tokio::task::block_in_place(|| {
        tx(h.vault.meta.as_ref(), |sql| {
            let rows = sql.query("SELECT COUNT(*) FROM deposits", &[])?;
            Ok(rows[0][0].int())
        })
        .unwrap()
    })
}

async fn the_flow(b: Backend) {
    let h = Harness::start(b, Arc::new(sceau_vault::SceauPdfa)).await;
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;

    // A changed byte in the flow (here in the act's base64, which still decodes) is refused,
    // and nothing is recorded; so is a package without its flow.
    let (good, _) = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "REF_FLUX");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(good.clone())).unwrap();
    let mut flow = Vec::new();
    zip.by_name(FLOW).unwrap().read_to_end(&mut flow).unwrap();
    let text = String::from_utf8(flow.clone()).unwrap();
    let at = text.find("<pdf>\n").unwrap() + "<pdf>\n".len() + 10;
    let mut changed = flow.clone();
    changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
    let pdf = pdfa_act("REF_FLUX");
    let spec = |_: ()| PackageSpec {
        recipient_id: &bank,
        nature: "SAISIE_ATTRIBUTION",
        reference: "REF_FLUX",
        judge_permission: None,
        acts: vec![(
            "9991_REF_FLUX_20260303_100000.pdf".to_owned(),
            pdf.clone(),
            sign(&a.sign, &pdf),
        )],
    };
    let tampered = package_with(&spec(()), &[(FLOW, &changed)]);
    let r = put_package(&h, &c, "key-flow-tampered", &tampered).await;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "flow_mismatch", "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Préparez de nouveau le paquet"),
        "{body}"
    );
    // One byte more at the end (still well-formed XML): refused too.
    let mut longer = flow.clone();
    longer.push(b'\n');
    let r = put_package(
        &h,
        &c,
        "key-flow-longer",
        &package_with(&spec(()), &[(FLOW, &longer)]),
    )
    .await;
    assert_eq!(code(r).await, "flow_mismatch");
    assert_eq!(deposits(&h), 0);

    // The good one is accepted.
    let r = put_package(&h, &c, "key-flow-0001", &(good.clone(), sha_hex_of(&good))).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let receipt: DepositReceipt = r.json().await.unwrap();
    assert_eq!(deposits(&h), 1);

    // The archive keeps the flow, and the sealed attestation names it with its digest.
    let mut archive = archived(&h, "9991", &receipt.archive_path).await;
    let mut read = |name: &str| archive.read(name);
    let archived = read(FLOW);
    let attestation = String::from_utf8(read("attestation_depot.xml")).unwrap();
    let act_name = receipt.documents[0].clone();
    let act = read(&act_name);
    let p7s = read(&format!("{act_name}.p7s"));
    assert_eq!(
        between(&attestation, "<fluxXml>", "</fluxXml>"),
        format!(
            "\n    <nom>{FLOW}</nom>\n    <taille>{}</taille>\n    <sha256>{}</sha256>\n  ",
            archived.len(),
            hex::encode(Sha256::digest(&archived))
        )
    );

    // The bank takes it through its API (a consultation: the act is in it).
    let bank_id =
        h.ca.issue(&IssueRequest::new(
            "Banque Test API",
            KeySpec::EcP256,
            Profile::Authentication,
        ))
        .unwrap();
    let fp = hex::encode(Sha256::digest(&bank_id.cert_der));
    let b2 = bank.clone();
    tokio::task::block_in_place(|| {
        tx(h.vault.meta.as_ref(), |sql| {
            meta::bind_bank_cert(sql, &fp, &b2, sceau_testsupport::deposit::tuesday_morning())
        })
        .unwrap()
    });
    let api = h.client(Some(&bank_id));
    let r = api
        .get(h.url(&format!("/v1/bank/acts/{}/flow", receipt.deposit_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/xml");
    let served = r.bytes().await.unwrap().to_vec();
    assert_eq!(served, archived, "the flow served is the one archived");
    assert_eq!(served, flow, "and the one the office built");
    let state = h
        .vault
        .db({
            let id = receipt.deposit_id.clone();
            move |sql| meta::consultation(sql, &id)
        })
        .await
        .unwrap();
    assert!(state.is_some(), "taking the flow is a consultation");
    // Another deposit's id (unknown here) is not found.
    let r = api
        .get(h.url("/v1/bank/acts/00000000-0000-0000-0000-000000000000/flow"))
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "not_found");

    // Checked by tools we did not write: the schema, then the act and its signature extracted.
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("flux.xml"), &served).unwrap();
    let xsd = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../resources/schemas/flux_acte.xsd");
    ok(Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&xsd)
        .arg(p("flux.xml")));
    let text = String::from_utf8(served).unwrap();
    let pdf_out = unbase64(between(&text, "<pdf>", "</pdf>"));
    assert_eq!(pdf_out, act, "the act, byte for byte");
    let sig_out = unbase64(
        between(&text, "format=\"CAdES\"", "</signature>")
            .split_once('>')
            .unwrap()
            .1,
    );
    assert_eq!(sig_out, p7s);
    std::fs::write(p("acte.pdf"), &pdf_out).unwrap();
    std::fs::write(p("acte.p7s"), &sig_out).unwrap();
    std::fs::write(p("ca.pem"), h.ca.identity.cert_pem()).unwrap();
    ok(Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-in",
        ])
        .arg(p("acte.p7s"))
        .arg("-content")
        .arg(p("acte.pdf"))
        .arg("-CAfile")
        .arg(p("ca.pem"))
        .args(["-out", "/dev/null"]));
    // The data message inside is the deposited one, in its own namespace.
    assert!(text.contains("<messageActe xmlns=\"urn:sceau:message-acte:1\" version=\"1\">"));
    assert!(text.contains("<reference>REF_FLUX</reference>"));
    // A changed byte in the extracted act fails openssl: the check above could fail.
    let mut bad = pdf_out.clone();
    bad[20] ^= 1;
    std::fs::write(p("acte.pdf"), &bad).unwrap();
    let out = Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-in",
        ])
        .arg(p("acte.p7s"))
        .arg("-content")
        .arg(p("acte.pdf"))
        .arg("-CAfile")
        .arg(p("ca.pem"))
        .args(["-out", "/dev/null"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

fn sha_hex_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_xml_flow_checked_kept_and_served() {
    the_flow(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_xml_flow_checked_kept_and_served_on_postgres_and_s3() {
    the_flow(Backend::Scaled).await;
}
