//! Signatures made with every supported in-memory key type are accepted by `openssl cms
//! -verify` (the independent oracle) and by our own verifier.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Utc;
use common::{key_spec, openssl_cms_verify, openssl_has_cades, sign_with, Alg, Pki};
use sceau_cades::{
    verify_detached, verify_detached_reader, ChainStatus, DigestAlgorithm, KeyRole,
    SigningCertificateStatus, TimeSource,
};

fn roundtrip(alg: Alg, rsa_bits: usize) {
    let pki = Pki::new();
    let id = pki.signer(key_spec(alg, rsa_bits));
    // Binary content with CR/LF and NUL bytes: -binary must keep it byte for byte.
    let content: Vec<u8> = b"Acte de signification\r\n\0\x01\xff"
        .iter()
        .copied()
        .cycle()
        .take(10_000)
        .collect();
    let signing_time = Utc::now();
    let p7s = sign_with(alg, &id, &id, &pki.chain(), &content, signing_time).unwrap();

    let p7s_path = pki.path("acte.pdf.p7s");
    let content_path = pki.path("acte.pdf");
    std::fs::write(&p7s_path, &p7s).unwrap();
    std::fs::write(&content_path, &content).unwrap();
    let (ok, out) = openssl_cms_verify(&p7s_path, &content_path, &pki.root_pem, false);
    assert!(ok, "openssl cms -verify rejected {alg:?}/{rsa_bits}: {out}");
    if openssl_has_cades() {
        let (ok, out) = openssl_cms_verify(&p7s_path, &content_path, &pki.root_pem, true);
        assert!(ok, "openssl cms -cades -verify rejected {alg:?}: {out}");
    }

    let report = verify_detached(&content, &p7s, &pki.anchors(), Utc::now()).unwrap();
    assert!(report.is_valid(), "{alg:?}: {:?}", report.failures());
    assert!(report.content_digest_ok && report.signature_ok);
    assert_eq!(report.digest_algorithm, Some(alg.digest()));
    assert_eq!(
        report.signing_certificate,
        SigningCertificateStatus::Matches
    );
    assert_eq!(report.chain.status, ChainStatus::Trusted);
    assert_eq!(
        report.chain.certificates.len(),
        3,
        "signer, intermediate, root"
    );
    assert_eq!(
        report.validation_time_source,
        TimeSource::SigningTimeAttribute
    );
    assert_eq!(
        report.signing_time.map(|t| t.timestamp()),
        Some(signing_time.timestamp())
    );
    let signer = report.signer.as_ref().unwrap();
    assert_eq!(signer.common_name.as_deref(), Some("Jeanne Martin"));
    assert_eq!(signer.title.as_deref(), Some("Commissaire de justice"));
    assert_eq!(
        signer.organization.as_deref(),
        Some("SELARL Martin & Associés")
    );
    assert_eq!(signer.serial_hex, id.serial_hex());
    assert_eq!(signer.role, KeyRole::NonRepudiation);
    assert!(signer.issuer.contains("AC commissaires de justice"));

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["validation_time_source"], "signing_time_attribute");
    assert_eq!(json["signer"]["role"], "non_repudiation");
    assert_eq!(json["failures"], serde_json::json!([]));

    // The streaming variant agrees.
    let streamed = verify_detached_reader(&content[..], &p7s, &pki.anchors(), Utc::now()).unwrap();
    assert!(streamed.is_valid());
}

#[test]
fn rsa_2048_pkcs1_sha256() {
    roundtrip(Alg::RsaPkcs1(DigestAlgorithm::Sha256), 2048);
}

#[test]
fn rsa_3072_pkcs1_sha384() {
    roundtrip(Alg::RsaPkcs1(DigestAlgorithm::Sha384), 3072);
}

#[test]
fn rsa_4096_pkcs1_sha512() {
    roundtrip(Alg::RsaPkcs1(DigestAlgorithm::Sha512), 4096);
}

#[test]
fn rsa_2048_pss_sha256() {
    roundtrip(Alg::RsaPss(DigestAlgorithm::Sha256), 2048);
}

#[test]
fn rsa_3072_pss_sha384() {
    roundtrip(Alg::RsaPss(DigestAlgorithm::Sha384), 3072);
}

#[test]
fn rsa_4096_pss_sha512() {
    roundtrip(Alg::RsaPss(DigestAlgorithm::Sha512), 4096);
}

#[test]
fn ec_p256_sha256() {
    roundtrip(Alg::EcP256, 0);
}

#[test]
fn ec_p384_sha384() {
    roundtrip(Alg::EcP384, 0);
}

/// Our verifier also accepts what OpenSSL itself signs (CAdES attributes from `-cades` when
/// available), so it is not only consistent with our own signer.
#[test]
fn verifies_a_signature_made_by_openssl() {
    let pki = Pki::new();
    let id = pki.signer(sceau_testsupport::pki::KeySpec::Rsa(2048));
    let (cert_pem, key_pem) = id.write_pem(pki.dir.path(), "signer").unwrap();
    let (inter_pem, _) = pki
        .intermediate
        .identity
        .write_pem(pki.dir.path(), "inter")
        .unwrap();
    let content = b"contenu signe par openssl".to_vec();
    let content_path = pki.path("doc.txt");
    std::fs::write(&content_path, &content).unwrap();
    let p7s_path = pki.path("doc.txt.p7s");
    let mut cmd = std::process::Command::new("openssl");
    cmd.args([
        "cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256",
    ]);
    if openssl_has_cades() {
        cmd.arg("-cades");
    }
    cmd.arg("-in")
        .arg(&content_path)
        .arg("-signer")
        .arg(&cert_pem)
        .arg("-inkey")
        .arg(&key_pem)
        .arg("-certfile")
        .arg(&inter_pem)
        .arg("-out")
        .arg(&p7s_path);
    let (ok, out) = common::run(&mut cmd);
    assert!(ok, "{out}");
    let p7s = std::fs::read(&p7s_path).unwrap();
    let report = verify_detached(&content, &p7s, &pki.anchors(), Utc::now()).unwrap();
    assert!(
        report.content_digest_ok && report.signature_ok,
        "{report:?}"
    );
    assert_eq!(report.chain.status, ChainStatus::Trusted);
    if openssl_has_cades() {
        assert!(report.is_valid(), "{:?}", report.failures());
    }
}
