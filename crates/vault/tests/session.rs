//! First connection and certificate checks over real mutual TLS on loopback.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;

use common::*;
use sceau_testsupport::pki::{IssueRequest, KeySpec, Profile, TestCa};
use time::{Duration, OffsetDateTime};

async fn harness() -> Harness {
    Harness::start(Backend::Embedded, Arc::new(sceau_vault::SceauPdfa)).await
}

#[tokio::test]
async fn first_connection_binds_then_renewal_of_same_holder_only() {
    let h = harness().await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = h.client(Some(&a.auth));
    // Unbound: the session shows the certificate, the rest says "not bound".
    let s: sceau_proto::Session = get_json(&c, h.url("/v1/session")).await;
    assert!(s.office.is_none());
    assert_eq!(s.certificate.holder, "Jeanne DUPONT");
    assert_eq!(
        s.certificate.function.as_deref(),
        Some("Commissaire de justice")
    );
    assert_eq!(s.certificate.serial_hex, a.auth.serial_hex());
    let r = c
        .post(h.url("/v1/tsa"))
        .body(vec![0u8])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(code(r).await, "certificate_not_bound");
    // A confirmation of another certificate is refused.
    let r = c
        .post(h.url("/v1/session/bind"))
        .json(&sceau_proto::BindRequest {
            confirm_fingerprint_sha256: "00".repeat(32),
            office_number: "9991".into(),
            office_name: "Etude".into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "bind_mismatch");
    let c = bound_client(&h, &a.auth, "9991").await;
    let s: sceau_proto::Session = get_json(&c, h.url("/v1/session")).await;
    assert_eq!(s.office.as_ref().unwrap().number, "9991");

    // A renewed certificate of the same holder joins the same space.
    let renewed = person(
        &h.ca,
        "Jeanne DUPONT",
        "Etude 9991",
        Profile::Authentication,
    );
    let c2 = bound_client(&h, &renewed, "9991").await;
    let s2: sceau_proto::Session = get_json(&c2, h.url("/v1/session")).await;
    assert_eq!(s2.office.unwrap().id, s.office_id_for_test());

    // Another holder cannot join office 9991.
    let other = person(&h.ca, "Paul MARTIN", "Etude 9991", Profile::Authentication);
    let c3 = h.client(Some(&other));
    let r = try_bind(&c3, &h.url(""), "9991", "Etude").await;
    assert_eq!(r.status(), 403);
    assert_eq!(code(r).await, "bind_other_holder");
}

trait OfficeIdForTest {
    fn office_id_for_test(&self) -> String;
}
impl OfficeIdForTest for sceau_proto::Session {
    fn office_id_for_test(&self) -> String {
        self.office.as_ref().unwrap().id.clone()
    }
}

#[tokio::test]
async fn refused_certificates_have_their_own_codes() {
    let h = harness().await;
    // No certificate.
    let r = h
        .client(None)
        .get(h.url("/v1/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(code(r).await, "certificate_missing");
    // Foreign CA.
    let foreign = TestCa::new("AC étrangère", KeySpec::EcP256).unwrap();
    let f = office_ids(&foreign, "Jeanne DUPONT", "Etude 9991");
    let r = h
        .client(Some(&f.auth))
        .get(h.url("/v1/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "certificate_untrusted");
    // Expired (relative to the vault's clock).
    let now = OffsetDateTime::from_unix_timestamp(tuesday_morning().timestamp()).unwrap();
    let expired =
        h.ca.issue(&IssueRequest {
            not_before: now - Duration::days(800),
            not_after: now - Duration::days(1),
            ..IssueRequest::new("Jeanne DUPONT", KeySpec::EcP256, Profile::Authentication)
        })
        .unwrap();
    let r = h
        .client(Some(&expired))
        .get(h.url("/v1/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "certificate_expired");
    // OpenAPI is served.
    let ok = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let doc: serde_json::Value =
        get_json(&h.client(Some(&ok.auth)), h.url("/v1/openapi.json")).await;
    assert_eq!(doc["openapi"], "3.1.0");
}

#[tokio::test]
async fn revoked_by_config_is_refused_over_tls() {
    let mut revoked = None;
    let h = Harness::start_with(
        Backend::Embedded,
        Arc::new(sceau_vault::SceauPdfa),
        |cfg, ca| {
            let ids = office_ids(ca, "Jeanne DUPONT", "Etude 9991");
            cfg.revoked_serials.push(ids.auth.serial_hex());
            revoked = Some(ids);
        },
    )
    .await;
    let ids = revoked.unwrap();
    let r = h
        .client(Some(&ids.auth))
        .get(h.url("/v1/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(code(r).await, "certificate_revoked");
    // Another certificate of the same holder is not affected.
    let renewed = person(
        &h.ca,
        "Jeanne DUPONT",
        "Etude 9991",
        Profile::Authentication,
    );
    let r = h
        .client(Some(&renewed))
        .get(h.url("/v1/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn revoked_by_config_is_refused() {
    let dir_ca = TestCa::new("AC", KeySpec::EcP256).unwrap();
    let ids = office_ids(&dir_ca, "Jeanne DUPONT", "Etude 9991");
    let checker = sceau_vault::tls::ClientChecker::new(
        std::slice::from_ref(&dir_ca.identity.cert_der),
        &[ids.auth.serial_hex()],
    )
    .unwrap();
    let certs = vec![rustls::pki_types::CertificateDer::from(
        ids.auth.cert_der.clone(),
    )];
    let err = checker.check(&certs, chrono::Utc::now()).unwrap_err();
    assert_eq!(err.code(), "certificate_revoked");
    let other = vec![rustls::pki_types::CertificateDer::from(
        ids.sign.cert_der.clone(),
    )];
    assert!(checker.check(&other, chrono::Utc::now()).is_ok());
}

/// The security review's second finding: any trusted certificate could create an office. Over
/// real TLS, with two trusted CAs: a bank's certificate never binds (not even an office
/// declared for its holder), an undeclared number is refused, another holder cannot take a
/// declared number, and a "renewal" of the holder from the other trusted CA is refused before
/// and after the first binding; the declared holder under the declared CA binds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_declared_offices_bind_and_only_for_their_holder_and_ca() {
    let other_ca = TestCa::new("Autre AC reconnue", KeySpec::EcP256).unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let (other_pem, _) = other_ca
        .identity
        .write_pem(other_dir.path(), "other-ca")
        .unwrap();
    let h = Harness::start_with(
        Backend::Embedded,
        Arc::new(sceau_vault::SceauPdfa),
        |cfg, _| cfg.client_ca_files.push(other_pem.clone()),
    )
    .await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    h.declare_office("9991", &holder_of(&a.auth));

    // A bank's certificate, bound to its recipient.
    let bank_id = person(&h.ca, "Service API", "BANQUE TEST", Profile::Authentication);
    let fp = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bank_id.cert_der));
    let rid = bank_with_consent(&h).await;
    let vault = h.vault.clone();
    tokio::task::spawn_blocking(move || {
        sceau_vault::store::sql::tx(vault.meta.as_ref(), |sql| {
            sceau_vault::store::meta::bind_bank_cert(sql, &fp, &rid, tuesday_morning())
        })
        .unwrap()
    })
    .await
    .unwrap();
    let bank = h.client(Some(&bank_id));
    h.declare_office("BANK1", &holder_of(&bank_id));
    for number in ["BANK1", "9991", "4242"] {
        let r = try_bind(&bank, &h.url(""), number, "Etude Maitre Dupont (9991)").await;
        assert_eq!(r.status(), 403, "{number}");
        assert_eq!(code(r).await, "bank_cannot_bind", "{number}");
    }

    // An undeclared number, even for the declared holder.
    let c = h.client(Some(&a.auth));
    let r = try_bind(&c, &h.url(""), "1234", "Etude 1234").await;
    assert_eq!(r.status(), 403);
    let body: sceau_proto::ErrorBody = r.json().await.unwrap();
    assert_eq!(body.code, "office_not_declared");
    assert!(
        body.message.contains("sceau-vault office add"),
        "{}",
        body.message
    );

    // Another holder's number.
    let martin = person(&h.ca, "Paul MARTIN", "Etude 9991", Profile::Authentication);
    let r = try_bind(&h.client(Some(&martin)), &h.url(""), "9991", "Etude").await;
    assert_eq!(r.status(), 403);
    assert_eq!(code(r).await, "bind_other_holder");

    // The same subject from the other trusted CA: trusted, but not this office's issuer.
    let forged = person(
        &other_ca,
        "Jeanne DUPONT",
        "Etude 9991",
        Profile::Authentication,
    );
    assert_eq!(holder_of(&forged), holder_of(&a.auth));
    let fc = h.client(Some(&forged));
    let s: sceau_proto::Session = get_json(&fc, h.url("/v1/session")).await;
    assert!(s.office.is_none());
    let r = try_bind(&fc, &h.url(""), "9991", "Etude 9991").await;
    assert_eq!(r.status(), 403);
    assert_eq!(code(r).await, "bind_issuer_mismatch");

    // The declared holder under the declared CA binds; the other CA's "renewal" still cannot.
    let c = bound_client(&h, &a.auth, "9991").await;
    let s: sceau_proto::Session = get_json(&c, h.url("/v1/session")).await;
    assert_eq!(s.office.unwrap().number, "9991");
    let r = try_bind(&fc, &h.url(""), "9991", "Etude 9991").await;
    assert_eq!(r.status(), 403);
    assert_eq!(code(r).await, "bind_issuer_mismatch");
    let r = fc
        .get(h.url("/v1/recipients?q=BANQUE"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(code(r).await, "certificate_not_bound");
    // Nor can the bank read the recipients directory.
    let r = bank
        .get(h.url("/v1/recipients?q=BANQUE"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(code(r).await, "certificate_not_bound");
}

/// Offices and banks have separate trust lists: a bank's certificate issued by the bank CA
/// reaches the bank API only (the offices' routes and the first connection say it is not
/// trusted), an office's certificate does not reach the bank API even if its fingerprint were
/// bound to a bank, and no office can be declared under the bank CA.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn banks_and_offices_have_separate_trust_lists() {
    let bank_ca = TestCa::new("AC des banques", KeySpec::EcP256).unwrap();
    let bank_dir = tempfile::tempdir().unwrap();
    let (bank_pem, _) = bank_ca
        .identity
        .write_pem(bank_dir.path(), "bank-ca")
        .unwrap();
    let h = Harness::start_with(
        Backend::Embedded,
        Arc::new(sceau_vault::SceauPdfa),
        |cfg, _| cfg.bank_ca_files = vec![bank_pem.clone()],
    )
    .await;
    let rid = bank_with_consent(&h).await;
    let bank_id = person(
        &bank_ca,
        "Service API",
        "BANQUE TEST",
        Profile::Authentication,
    );
    let office = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let fp = |der: &[u8]| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(der));
    let (fb, fo) = (fp(&bank_id.cert_der), fp(&office.auth.cert_der));
    let confirm = fb.clone();
    let vault = h.vault.clone();
    tokio::task::spawn_blocking(move || {
        sceau_vault::store::sql::tx(vault.meta.as_ref(), |sql| {
            sceau_vault::store::meta::bind_bank_cert(sql, &fb, &rid, tuesday_morning())?;
            sceau_vault::store::meta::bind_bank_cert(sql, &fo, &rid, tuesday_morning())
        })
        .unwrap()
    })
    .await
    .unwrap();
    let bank = h.client(Some(&bank_id));
    let r = bank.get(h.url("/v1/bank/acts")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    for path in ["/v1/session", "/v1/recipients?q=BANQUE"] {
        let r = bank.get(h.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(code(r).await, "certificate_untrusted", "{path}");
    }
    let r = bank
        .post(h.url("/v1/session/bind"))
        .json(&sceau_proto::BindRequest {
            confirm_fingerprint_sha256: confirm,
            office_number: "9991".into(),
            office_name: "Etude 9991".into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "certificate_untrusted");
    // An office's certificate is not a bank's, whatever its fingerprint is bound to.
    let r = h
        .client(Some(&office.auth))
        .get(h.url("/v1/bank/acts"))
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, "certificate_untrusted");
    // No office under the bank CA.
    let err = sceau_vault::admin::declare_office(
        h.vault.meta.as_ref(),
        &h.config,
        "9991",
        "Service API",
        &bank_pem,
        None,
        tuesday_morning(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "bad_request");
    assert!(
        err.message_fr().contains("client_ca_files"),
        "{}",
        err.message_fr()
    );
}

/// Malformed JSON, a body without its JSON type, fields of the wrong type and unreadable query
/// parameters are answered `{code: "bad_request", message}` in French, never in plain text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_and_queries_are_answered_as_code_and_message() {
    let h = Harness::start(Backend::Embedded, Arc::new(sceau_vault::SceauPdfa)).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let json = "application/json";
    for (body, ctype, says) in [
        ("{\"office_number\": ", json, "n'est pas un JSON valide"),
        ("{\"office_number\": 9991}", json, "champs attendus"),
        (
            "{\"office_number\": \"9991\"}",
            "text/plain",
            "Content-Type",
        ),
    ] {
        let r = c
            .post(h.url("/v1/session/bind"))
            .header(reqwest::header::CONTENT_TYPE, ctype)
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
        let got: sceau_proto::ErrorBody = r.json().await.unwrap();
        assert_eq!(got.code, "bad_request");
        assert!(got.message.contains(says), "{}", got.message);
    }
    let r = c
        .post(h.url("/v1/vault/folders"))
        .body("[")
        .header(reqwest::header::CONTENT_TYPE, json)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    assert_eq!(code(r).await, "bad_request");
    let r = c
        .get(h.url("/v1/events?after=plus-tard"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let got: sceau_proto::ErrorBody = r.json().await.unwrap();
    assert_eq!(got.code, "bad_request");
    assert!(got.message.contains("paramètres"), "{}", got.message);
}
