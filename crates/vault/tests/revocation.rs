//! Revocation lists (`crl_files`) of the offices' CA, replaced while the vault runs: the act's
//! *signing* certificate is checked at every deposit (`signing_certificate_revoked`), the
//! authentication certificate at every request (`certificate_revoked`), both without restart;
//! a list not signed by a trusted CA is refused at start with a French reason.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;

use common::*;
use sceau_testsupport::pki::{KeySpec, TestCa};

/// Replaces the CRL file the way an operator's script would (write then rename), so the vault
/// never reads half a file.
fn publish(path: &std::path::Path, der: &[u8]) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, der).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

async fn revocation_without_restart(backend: Backend) {
    let crl_dir = tempfile::tempdir().unwrap();
    let crl = crl_dir.path().join("ac-etudes.crl");
    let crl_path = crl.clone();
    let h = Harness::start_with(backend, Arc::new(sceau_vault::SceauPdfa), move |cfg, ca| {
        publish(&crl_path, &ca.crl(&[], 1).unwrap());
        cfg.crl_files = vec![crl_path];
    })
    .await;
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;

    // Nothing revoked: the deposit is accepted.
    let pkg = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "REF1");
    let r = put_package(&h, &c, "cle-rev-1", &pkg).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // The CA revokes the signing certificate: the next deposit is refused, without restart.
    publish(&crl, &h.ca.crl(&[a.sign.serial_hex()], 2).unwrap());
    let pkg = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "REF2");
    let r = put_package(&h, &c, "cle-rev-2", &pkg).await;
    assert_eq!(r.status(), 422);
    let body: sceau_proto::ErrorBody = r.json().await.unwrap();
    assert_eq!(body.code, "signing_certificate_revoked");
    assert!(body.message.contains("révoqué"), "{}", body.message);
    assert!(body.message.contains("REF2"), "{}", body.message);
    // The office still authenticates (only its signing certificate is revoked).
    let r = c.get(h.url("/v1/events")).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // Then the authentication certificate: every request is refused from now on.
    publish(
        &crl,
        &h.ca
            .crl(&[a.sign.serial_hex(), a.auth.serial_hex()], 3)
            .unwrap(),
    );
    let r = c.get(h.url("/v1/events")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(code(r).await, "certificate_revoked");

    // A list signed by a CA the vault does not trust is not taken: the lists in force stay.
    let stranger = TestCa::new("AC inconnue", KeySpec::EcP256).unwrap();
    publish(&crl, &stranger.crl(&[], 4).unwrap());
    let r = c.get(h.url("/v1/events")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_signing_and_authentication_certificates_are_refused_without_restart() {
    revocation_without_restart(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_signing_and_authentication_certificates_are_refused_without_restart_on_postgres() {
    revocation_without_restart(Backend::Scaled).await;
}

#[test]
fn a_revocation_list_not_signed_by_a_trusted_ca_is_refused_at_start() {
    let trusted = TestCa::new("AC des études", KeySpec::EcP256).unwrap();
    let stranger = TestCa::new("AC inconnue", KeySpec::EcP256).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.crl");
    std::fs::write(&path, stranger.crl(&[], 1).unwrap()).unwrap();
    let err = sceau_vault::revocation::Revocation::new(
        vec![path.clone()],
        vec![trusted.identity.certificate().unwrap()],
    )
    .unwrap_err();
    assert!(matches!(err, sceau_vault::Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("autorité de confiance"), "{err}");
    // The same list from the trusted CA is taken.
    std::fs::write(&path, trusted.crl(&["0a0b".into()], 1).unwrap()).unwrap();
    let r = sceau_vault::revocation::Revocation::new(
        vec![path],
        vec![trusted.identity.certificate().unwrap()],
    )
    .unwrap();
    let issuer = trusted
        .identity
        .certificate()
        .unwrap()
        .tbs_certificate
        .subject
        .to_string();
    assert!(r.is_revoked(&issuer, "0a0b"));
    assert!(!r.is_revoked(&issuer, "0a0c"));
}
