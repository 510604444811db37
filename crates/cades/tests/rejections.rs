//! Each way a signature can be wrong gets its own Failure (or, for unreadable files, Error).
#![allow(clippy::unwrap_used)]

mod common;

use std::error::Error as _;

use chrono::{Duration, Utc};
use common::{bailiff_request, cert, encode, sign_with, signed_data, Alg, Pki};
use der::asn1::OctetString;
use der::Encode;
use rsa::pkcs8::DecodePrivateKey;
use sceau_cades::{
    sign_detached, verify_detached, ChainStatus, DigestAlgorithm, Error, Failure, SignOptions,
    SigningCertificateStatus, TimeSource,
};
use sceau_testsupport::pki::{IssueRequest, KeySpec, Profile, TestCa};
use signature::Signer;

const CONTENT: &[u8] = "Procès-verbal de signification, 3 pages.".as_bytes();

#[test]
fn one_changed_content_byte_is_a_content_digest_mismatch() {
    let pki = Pki::new();
    let id = pki.signer(KeySpec::EcP256);
    let p7s = sign_with(Alg::EcP256, &id, &id, &pki.chain(), CONTENT, Utc::now()).unwrap();
    let mut tampered = CONTENT.to_vec();
    tampered[5] ^= 0x01;
    let report = verify_detached(&tampered, &p7s, &pki.anchors(), Utc::now()).unwrap();
    assert_eq!(report.failures(), vec![Failure::ContentDigestMismatch]);
    assert!(!report.is_valid());
    assert!(report.signature_ok, "the signed attributes are intact");
    assert_eq!(
        Failure::ContentDigestMismatch.message_fr(),
        "Le document a été modifié après sa signature : la signature ne correspond plus à son \
         contenu."
    );
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        json.contains(r#""code":"content_digest_mismatch""#),
        "{json}"
    );
}

#[test]
fn signature_by_another_key_is_a_bad_signature() {
    let pki = Pki::new();
    let id = pki.signer(KeySpec::Rsa(2048));
    let other = pki.signer(KeySpec::Rsa(2048));
    let p7s = sign_with(
        Alg::RsaPkcs1(DigestAlgorithm::Sha256),
        &id,
        &id,
        &pki.chain(),
        CONTENT,
        Utc::now(),
    )
    .unwrap();
    // Re-sign the very same signed attributes with another key: only the key is wrong.
    let mut sd = signed_data(&p7s);
    let mut infos = sd.signer_infos.0.into_vec();
    let tbs = infos[0].signed_attrs.as_ref().unwrap().to_der().unwrap();
    let other_key = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(
        rsa::RsaPrivateKey::from_pkcs8_der(&other.key_pkcs8_der).unwrap(),
    );
    let sig: rsa::pkcs1v15::Signature = other_key.sign(&tbs);
    infos[0].signature = OctetString::new(Box::<[u8]>::from(sig).to_vec()).unwrap();
    sd.signer_infos = infos.try_into().unwrap();
    let forged = encode(&sd);

    let report = verify_detached(CONTENT, &forged, &pki.anchors(), Utc::now()).unwrap();
    assert_eq!(report.failures(), vec![Failure::BadSignature]);
    assert!(report.content_digest_ok);
    assert!(!report.signature_ok);
}

#[test]
fn signing_with_a_key_that_does_not_match_the_certificate_is_refused() {
    let pki = Pki::new();
    let id = pki.signer(KeySpec::EcP256);
    let other = pki.signer(KeySpec::EcP256);
    let err = sign_with(Alg::EcP256, &other, &id, &pki.chain(), CONTENT, Utc::now()).unwrap_err();
    assert!(matches!(err, Error::KeyCertificateMismatch), "{err:?}");
}

#[test]
fn swapped_certificate_is_reported() {
    let pki = Pki::new();
    let id = pki.signer(KeySpec::EcP256);
    let other = pki.signer(KeySpec::EcP256);
    let p7s = sign_with(Alg::EcP256, &id, &id, &pki.chain(), CONTENT, Utc::now()).unwrap();
    let mut sd = signed_data(&p7s);
    sd.certificates = Some(
        vec![
            cms::cert::CertificateChoices::Certificate(cert(&other)),
            cms::cert::CertificateChoices::Certificate(cert(&pki.intermediate.identity)),
        ]
        .try_into()
        .unwrap(),
    );
    let report = verify_detached(CONTENT, &encode(&sd), &pki.anchors(), Utc::now()).unwrap();
    assert!(
        report
            .failures()
            .contains(&Failure::SignerCertificateNotFound),
        "{:?}",
        report.failures()
    );
    assert!(report.signer.is_none());
}

#[test]
fn untrusted_chain_is_reported() {
    let pki = Pki::new();
    let id = pki.signer(KeySpec::EcP384);
    let p7s = sign_with(Alg::EcP384, &id, &id, &pki.chain(), CONTENT, Utc::now()).unwrap();
    let stranger = TestCa::new("AC inconnue", KeySpec::EcP256).unwrap();
    let report = verify_detached(CONTENT, &p7s, &[cert(&stranger.identity)], Utc::now()).unwrap();
    assert_eq!(report.failures(), vec![Failure::UntrustedChain]);
    assert_eq!(report.chain.status, ChainStatus::Untrusted);
    // The intermediate alone is not an anchor of ours either way: trusting it works.
    let report = verify_detached(
        CONTENT,
        &p7s,
        &[cert(&pki.intermediate.identity)],
        Utc::now(),
    )
    .unwrap();
    assert!(report.is_valid(), "{:?}", report.failures());
}

#[test]
fn forged_issuer_signature_is_reported() {
    // A CA with the same name as the trusted root but another key issues the signer: the
    // names chain, the signatures do not.
    let pki = Pki::new();
    let impostor = TestCa::new("AC racine de test", KeySpec::EcP384).unwrap();
    let impostor_inter = impostor
        .intermediate("AC commissaires de justice", KeySpec::EcP256)
        .unwrap();
    let id = impostor_inter
        .issue(&bailiff_request(KeySpec::EcP256))
        .unwrap();
    let chain = vec![cert(&impostor_inter.identity)];
    let p7s = sign_with(Alg::EcP256, &id, &id, &chain, CONTENT, Utc::now()).unwrap();
    let report = verify_detached(CONTENT, &p7s, &pki.anchors(), Utc::now()).unwrap();
    assert_eq!(
        report.chain.status,
        ChainStatus::InvalidCertificateSignature
    );
    assert!(matches!(
        report.failures().as_slice(),
        [Failure::BadCertificateSignature { subject }] if subject.contains("AC commissaires")
    ));
}

#[test]
fn certificate_expired_at_signing_time_is_reported() {
    let pki = Pki::new();
    let now = time::OffsetDateTime::now_utc();
    let req = IssueRequest {
        // Inside the test CAs' own validity (from one day ago), expired an hour ago.
        not_before: now - time::Duration::hours(20),
        not_after: now - time::Duration::hours(1),
        ..bailiff_request(KeySpec::EcP256)
    };
    let id = pki.intermediate.issue(&req).unwrap();
    let p7s = sign_with(Alg::EcP256, &id, &id, &pki.chain(), CONTENT, Utc::now()).unwrap();
    let report = verify_detached(CONTENT, &p7s, &pki.anchors(), Utc::now()).unwrap();
    assert!(
        matches!(
            report.failures().as_slice(),
            [Failure::CertificateExpiredAtSigningTime { subject, .. }] if subject.contains("Jeanne Martin")
        ),
        "{:?}",
        report.failures()
    );
    assert_eq!(
        report.validation_time_source,
        TimeSource::SigningTimeAttribute
    );
    let msg = report.failures()[0].message_fr();
    assert!(msg.contains("avait expiré"), "{msg}");

    // Signed while the certificate was still valid: accepted (time claimed by the signer).
    let p7s = sign_with(
        Alg::EcP256,
        &id,
        &id,
        &pki.chain(),
        CONTENT,
        Utc::now() - Duration::hours(10),
    )
    .unwrap();
    let report = verify_detached(CONTENT, &p7s, &pki.anchors(), Utc::now()).unwrap();
    assert!(report.is_valid(), "{:?}", report.failures());
}

#[test]
fn certificate_not_yet_valid_is_reported() {
    let pki = Pki::new();
    let now = time::OffsetDateTime::now_utc();
    let req = IssueRequest {
        not_before: now + time::Duration::days(2),
        not_after: now + time::Duration::days(400),
        ..bailiff_request(KeySpec::EcP256)
    };
    let id = pki.intermediate.issue(&req).unwrap();
    let p7s = sign_with(Alg::EcP256, &id, &id, &pki.chain(), CONTENT, Utc::now()).unwrap();
    let report = verify_detached(CONTENT, &p7s, &pki.anchors(), Utc::now()).unwrap();
    assert!(
        matches!(
            report.failures().as_slice(),
            [Failure::CertificateNotYetValid { .. }]
        ),
        "{:?}",
        report.failures()
    );
}

#[test]
fn digital_signature_certificate_is_accepted_and_its_role_reported() {
    let pki = Pki::new();
    let req = IssueRequest::new("serveur.example", KeySpec::EcP256, Profile::Server);
    // keyUsage digitalSignature + keyEncipherment is still a signing usage: accepted.
    let server = pki.intermediate.issue(&req).unwrap();
    let p7s = sign_with(
        Alg::EcP256,
        &server,
        &server,
        &pki.chain(),
        CONTENT,
        Utc::now(),
    )
    .unwrap();
    let report = verify_detached(CONTENT, &p7s, &pki.anchors(), Utc::now()).unwrap();
    assert!(report.is_valid(), "{:?}", report.failures());
    assert_eq!(
        report.signer.unwrap().role,
        sceau_cades::KeyRole::DigitalSignature
    );
}

#[test]
fn truncated_or_garbage_p7s_is_malformed_never_a_panic() {
    let pki = Pki::new();
    let id = pki.signer(KeySpec::EcP256);
    let p7s = sign_with(Alg::EcP256, &id, &id, &pki.chain(), CONTENT, Utc::now()).unwrap();
    for len in 0..p7s.len() {
        match verify_detached(CONTENT, &p7s[..len], &pki.anchors(), Utc::now()) {
            Err(Error::Malformed { .. }) => {}
            other => panic!("prefix of {len} bytes gave {other:?}"),
        }
    }
    let err =
        verify_detached(CONTENT, &p7s[..p7s.len() / 2], &pki.anchors(), Utc::now()).unwrap_err();
    assert!(
        err.to_string().starts_with("malformed signature file"),
        "{err}"
    );
    assert!(err.message_fr().contains("illisible ou incomplet"));
    for garbage in [
        &b"%PDF-1.4 not a signature"[..],
        &[0x30, 0x80, 0, 0],
        &[0xff; 64],
    ] {
        assert!(matches!(
            verify_detached(CONTENT, garbage, &pki.anchors(), Utc::now()),
            Err(Error::Malformed { .. })
        ));
    }
}

#[test]
fn missing_signing_certificate_attribute_is_reported() {
    // OpenSSL without -cades signs without signing-certificate-v2.
    let pki = Pki::new();
    let id = pki.signer(KeySpec::EcP256);
    let (cert_pem, key_pem) = id.write_pem(pki.dir.path(), "signer").unwrap();
    let (inter_pem, _) = pki
        .intermediate
        .identity
        .write_pem(pki.dir.path(), "inter")
        .unwrap();
    let content_path = pki.path("doc");
    std::fs::write(&content_path, CONTENT).unwrap();
    let out = pki.path("doc.p7s");
    let (ok, text) = common::run(
        std::process::Command::new("openssl")
            .args(["cms", "-sign", "-binary", "-outform", "DER", "-in"])
            .arg(&content_path)
            .arg("-signer")
            .arg(&cert_pem)
            .arg("-inkey")
            .arg(&key_pem)
            .arg("-certfile")
            .arg(&inter_pem)
            .arg("-out")
            .arg(&out),
    );
    assert!(ok, "{text}");
    let report = verify_detached(
        CONTENT,
        &std::fs::read(&out).unwrap(),
        &pki.anchors(),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(
        report.failures(),
        vec![Failure::SigningCertificateAttributeMissing]
    );
    assert_eq!(
        report.signing_certificate,
        SigningCertificateStatus::Missing
    );
}

/// The error a token would return for a wrong PIN.
#[derive(Debug)]
struct PinIncorrect;

impl std::fmt::Display for PinIncorrect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CKR_PIN_INCORRECT")
    }
}

impl std::error::Error for PinIncorrect {}

/// A signer that fails like a token with a wrong PIN.
struct FailingSigner(p256::ecdsa::SigningKey);

impl signature::Keypair for FailingSigner {
    type VerifyingKey = p256::ecdsa::VerifyingKey;
    fn verifying_key(&self) -> Self::VerifyingKey {
        *self.0.verifying_key()
    }
}

impl spki::DynSignatureAlgorithmIdentifier for FailingSigner {
    fn signature_algorithm_identifier(&self) -> spki::Result<spki::AlgorithmIdentifierOwned> {
        self.0.signature_algorithm_identifier()
    }
}

impl signature::Signer<p256::ecdsa::DerSignature> for FailingSigner {
    fn try_sign(&self, _msg: &[u8]) -> Result<p256::ecdsa::DerSignature, signature::Error> {
        Err(signature::Error::from_source(PinIncorrect))
    }
}

#[test]
fn signer_error_is_preserved_for_the_caller() {
    let pki = Pki::new();
    let id = pki.signer(KeySpec::EcP256);
    let key = p256::ecdsa::SigningKey::from_pkcs8_der(&id.key_pkcs8_der).unwrap();
    let signer_cert = cert(&id);
    let err = sign_detached(
        &FailingSigner(key),
        &SignOptions {
            content: CONTENT,
            signer_cert: &signer_cert,
            chain: &[],
            digest: DigestAlgorithm::Sha256,
            signing_time: Utc::now(),
        },
    )
    .unwrap_err();
    let Error::Signing(sig_err) = &err else {
        panic!("expected Error::Signing, got {err:?}");
    };
    assert!(sig_err
        .source()
        .and_then(|s| s.downcast_ref::<PinIncorrect>())
        .is_some());
    // Through std::error::Error too, as an application would walk the chain.
    let inner = err.source().and_then(|s| s.source()).unwrap();
    assert!(inner.downcast_ref::<PinIncorrect>().is_some());
    assert!(err.message_fr().contains("code PIN"));
}

#[test]
fn digest_that_the_signer_does_not_use_is_refused() {
    let pki = Pki::new();
    let id = pki.signer(KeySpec::EcP256);
    let key = p256::ecdsa::SigningKey::from_pkcs8_der(&id.key_pkcs8_der).unwrap();
    let signer_cert = cert(&id);
    let err = sign_detached::<_, p256::ecdsa::DerSignature>(
        &key,
        &SignOptions {
            content: CONTENT,
            signer_cert: &signer_cert,
            chain: &[],
            digest: DigestAlgorithm::Sha384,
            signing_time: Utc::now(),
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::DigestMismatch {
                requested: DigestAlgorithm::Sha384,
                signer: DigestAlgorithm::Sha256
            }
        ),
        "{err:?}"
    );
}

#[test]
fn sign_digest_equals_sign_detached_for_large_streamed_content() {
    let pki = Pki::new();
    let id = pki.signer(KeySpec::EcP384);
    let key = p384::ecdsa::SigningKey::from_pkcs8_der(&id.key_pkcs8_der).unwrap();
    let signer_cert = cert(&id);
    let chain = pki.chain();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let digest = sceau_cades::digest_reader(DigestAlgorithm::Sha384, &big[..]).unwrap();
    let p7s = sceau_cades::sign_digest::<_, p384::ecdsa::DerSignature>(
        &key,
        &sceau_cades::SignDigestOptions {
            content_digest: &digest,
            signer_cert: &signer_cert,
            chain: &chain,
            digest: DigestAlgorithm::Sha384,
            signing_time: Utc::now(),
        },
    )
    .unwrap();
    let report =
        sceau_cades::verify_detached_reader(&big[..], &p7s, &pki.anchors(), Utc::now()).unwrap();
    assert!(report.is_valid(), "{:?}", report.failures());
    let err = sceau_cades::sign_digest::<_, p384::ecdsa::DerSignature>(
        &key,
        &sceau_cades::SignDigestOptions {
            content_digest: &digest[..32],
            signer_cert: &signer_cert,
            chain: &chain,
            digest: DigestAlgorithm::Sha384,
            signing_time: Utc::now(),
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::DigestLength { .. }));
}
