//! CAdES-T through a real RFC 3161 TSA (`openssl ts -reply` behind `TsaServer`), checked by our
//! verifier and by `openssl ts -verify`.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use chrono::Utc;
use common::{encode, openssl_cms_verify, sign_with, signed_data, Alg, Pki};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use sceau_cades::{
    add_timestamp, verify_detached, DigestAlgorithm, Error, Failure, HttpTimeStamper, TimeSource,
    TimeStamper, ID_AA_SIGNATURE_TIME_STAMP_TOKEN,
};
use sceau_testsupport::pki::{Identity, IssueRequest, KeySpec, Profile, TestCa};
use sceau_testsupport::tsa::{TsaServer, TSA_POLICY_OID};
use x509_tsp::TimeStampReq;

const CONTENT: &[u8] = b"Signification a personne, acte n. 2024-0042";

struct Tsa {
    server: TsaServer,
    cert_pem: PathBuf,
}

fn start_tsa(ca: &TestCa, ca_pem: &std::path::Path, dir: &std::path::Path) -> Tsa {
    let id = ca
        .issue(&IssueRequest::new(
            "Horodatage de test",
            KeySpec::EcP256,
            Profile::TimeStamping,
        ))
        .unwrap();
    let (cert_pem, _) = id.write_pem(dir, "tsa").unwrap();
    Tsa {
        server: TsaServer::start(&id, ca_pem).unwrap(),
        cert_pem,
    }
}

fn signed(pki: &Pki, alg: Alg, key: KeySpec) -> (Identity, Vec<u8>) {
    let id = pki.signer(key);
    let p7s = sign_with(alg, &id, &id, &pki.chain(), CONTENT, Utc::now()).unwrap();
    (id, p7s)
}

/// The DER time-stamp token and the signature value it covers.
fn token_of(p7s: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let sd = signed_data(p7s);
    let si = sd.signer_infos.0.as_slice()[0].clone();
    let attr = si
        .unsigned_attrs
        .as_ref()
        .unwrap()
        .iter()
        .find(|a| a.oid == ID_AA_SIGNATURE_TIME_STAMP_TOKEN)
        .unwrap()
        .clone();
    let token = attr.values.iter().next().unwrap().to_der().unwrap();
    (token, si.signature.as_bytes().to_vec())
}

#[test]
fn cades_t_verifies_here_and_its_token_passes_openssl_ts_verify() {
    let pki = Pki::new();
    let tsa = start_tsa(&pki.root, &pki.root_pem, pki.dir.path());
    for (alg, key) in [
        (Alg::EcP256, KeySpec::EcP256),
        (Alg::RsaPss(DigestAlgorithm::Sha256), KeySpec::Rsa(2048)),
    ] {
        let (_, p7s) = signed(&pki, alg, key);
        let before = Utc::now();
        let stamped = add_timestamp(
            &p7s,
            &HttpTimeStamper::new(tsa.server.url()),
            DigestAlgorithm::Sha256,
        )
        .unwrap();

        let report = verify_detached(CONTENT, &stamped, &pki.anchors(), Utc::now()).unwrap();
        assert!(report.is_valid(), "{:?}", report.failures());
        assert_eq!(report.validation_time_source, TimeSource::Timestamp);
        let ts = report.timestamp.as_ref().unwrap();
        assert!(ts.is_valid() && ts.imprint_ok && ts.signature_ok);
        assert_eq!(ts.policy.as_deref(), Some(TSA_POLICY_OID));
        let gen_time = ts.gen_time.unwrap();
        assert!((gen_time - before).num_seconds().abs() < 120, "{gen_time}");
        assert_eq!(report.validation_time, gen_time);
        assert_eq!(
            ts.tsa.as_ref().unwrap().role,
            sceau_cades::KeyRole::TimeStamping
        );

        // OpenSSL still accepts the signature with its unsigned attribute.
        let p7s_path = pki.path("t.p7s");
        let content_path = pki.path("t.txt");
        std::fs::write(&p7s_path, &stamped).unwrap();
        std::fs::write(&content_path, CONTENT).unwrap();
        let (ok, out) = openssl_cms_verify(&p7s_path, &content_path, &pki.root_pem, false);
        assert!(ok, "{out}");

        // The token alone, against the digest of the signature value it time-stamps.
        let (token, signature_value) = token_of(&stamped);
        let token_path = pki.path("token.der");
        std::fs::write(&token_path, &token).unwrap();
        let (ok, out) = common::run(
            std::process::Command::new("openssl")
                .args(["ts", "-verify", "-token_in", "-in"])
                .arg(&token_path)
                .arg("-digest")
                .arg(hex::encode(DigestAlgorithm::Sha256.hash(&signature_value)))
                .arg("-CAfile")
                .arg(&pki.root_pem)
                .arg("-untrusted")
                .arg(&tsa.cert_pem),
        );
        assert!(ok && out.contains("Verification: OK"), "{out}");
        // And openssl refuses it for another digest, so the check above means something.
        let (ok, _) = common::run(
            std::process::Command::new("openssl")
                .args(["ts", "-verify", "-token_in", "-in"])
                .arg(&token_path)
                .arg("-digest")
                .arg(hex::encode(DigestAlgorithm::Sha256.hash(b"other")))
                .arg("-CAfile")
                .arg(&pki.root_pem)
                .arg("-untrusted")
                .arg(&tsa.cert_pem),
        );
        assert!(!ok);
    }
    assert_eq!(tsa.server.requests_served(), 2);
}

#[test]
fn token_moved_to_another_signature_is_invalid() {
    let pki = Pki::new();
    let tsa = start_tsa(&pki.root, &pki.root_pem, pki.dir.path());
    let stamper = HttpTimeStamper::new(tsa.server.url());
    let (_, a) = signed(&pki, Alg::EcP256, KeySpec::EcP256);
    let a = add_timestamp(&a, &stamper, DigestAlgorithm::Sha256).unwrap();
    let (_, b) = signed(&pki, Alg::EcP256, KeySpec::EcP256);
    let b_stamped = add_timestamp(&b, &stamper, DigestAlgorithm::Sha256).unwrap();

    // B's signer info with A's token.
    let a_token_attr = signed_data(&a).signer_infos.0.as_slice()[0]
        .unsigned_attrs
        .clone();
    let mut sd = signed_data(&b_stamped);
    let mut infos = sd.signer_infos.0.into_vec();
    infos[0].unsigned_attrs = a_token_attr;
    sd.signer_infos = infos.try_into().unwrap();
    let report = verify_detached(CONTENT, &encode(&sd), &pki.anchors(), Utc::now()).unwrap();
    assert!(
        matches!(
            report.failures().as_slice(),
            [Failure::TimestampInvalid { reason }] if reason.contains("another signature")
        ),
        "{:?}",
        report.failures()
    );
    assert_ne!(report.validation_time_source, TimeSource::Timestamp);
}

#[test]
fn token_from_an_untrusted_tsa_is_invalid() {
    let pki = Pki::new();
    let stranger = TestCa::new("AC horodatage inconnue", KeySpec::EcP256).unwrap();
    let (stranger_pem, _) = stranger
        .identity
        .write_pem(pki.dir.path(), "stranger")
        .unwrap();
    let tsa = start_tsa(&stranger, &stranger_pem, pki.dir.path());
    let (_, p7s) = signed(&pki, Alg::EcP384, KeySpec::EcP384);
    let stamped = add_timestamp(
        &p7s,
        &HttpTimeStamper::new(tsa.server.url()),
        DigestAlgorithm::Sha384,
    )
    .unwrap();
    let report = verify_detached(CONTENT, &stamped, &pki.anchors(), Utc::now()).unwrap();
    assert!(
        matches!(
            report.failures().as_slice(),
            [Failure::TimestampInvalid { reason }] if reason.contains("Untrusted")
        ),
        "{:?}",
        report.failures()
    );
    assert!(report.failures()[0].message_fr().contains("horodatage"));
}

/// Rewrites requests before passing them to a real TSA, to play a TSA that answers something
/// else than what was asked.
struct Rewriting<'a, F: Fn(&mut TimeStampReq)> {
    inner: &'a HttpTimeStamper,
    rewrite: F,
}

impl<F: Fn(&mut TimeStampReq)> TimeStamper for Rewriting<'_, F> {
    fn timestamp(&self, request_der: &[u8]) -> Result<Vec<u8>, Error> {
        let mut req = TimeStampReq::from_der(request_der).unwrap();
        (self.rewrite)(&mut req);
        self.inner.timestamp(&req.to_der().unwrap())
    }
}

#[test]
fn replies_that_do_not_answer_the_request_are_refused() {
    let pki = Pki::new();
    let tsa = start_tsa(&pki.root, &pki.root_pem, pki.dir.path());
    let http = HttpTimeStamper::new(tsa.server.url());
    let (_, p7s) = signed(&pki, Alg::EcP256, KeySpec::EcP256);

    let other_imprint = Rewriting {
        inner: &http,
        rewrite: |r: &mut TimeStampReq| {
            r.message_imprint.hashed_message = OctetString::new(vec![7u8; 32]).unwrap();
        },
    };
    let err = add_timestamp(&p7s, &other_imprint, DigestAlgorithm::Sha256).unwrap_err();
    assert!(
        matches!(&err, Error::TsaInvalidResponse(m) if m.contains("imprint")),
        "{err:?}"
    );

    let other_nonce = Rewriting {
        inner: &http,
        rewrite: |r: &mut TimeStampReq| {
            r.nonce = Some(der::asn1::Int::new(&[0x42]).unwrap());
        },
    };
    let err = add_timestamp(&p7s, &other_nonce, DigestAlgorithm::Sha256).unwrap_err();
    assert!(
        matches!(&err, Error::TsaInvalidResponse(m) if m.contains("nonce")),
        "{err:?}"
    );

    // SHA-1 is not in the TSA's accepted digests: OpenSSL answers with a rejection.
    let sha1 = Rewriting {
        inner: &http,
        rewrite: |r: &mut TimeStampReq| {
            r.message_imprint.hash_algorithm.oid = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
            r.message_imprint.hashed_message = OctetString::new(vec![1u8; 20]).unwrap();
        },
    };
    let err = add_timestamp(&p7s, &sha1, DigestAlgorithm::Sha256).unwrap_err();
    assert!(
        matches!(&err, Error::TsaRejected { status, .. } if status == "Rejection"),
        "{err:?}"
    );
    assert!(err.message_fr().contains("refusé"));
}

#[test]
fn unreachable_tsa_is_a_clear_error() {
    // Bind then drop a listener: the port is then (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pki = Pki::new();
    let (_, p7s) = signed(&pki, Alg::EcP256, KeySpec::EcP256);
    let url = format!("http://127.0.0.1:{port}/");
    let err = add_timestamp(
        &p7s,
        &HttpTimeStamper::new(url.clone()),
        DigestAlgorithm::Sha256,
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::TsaUnreachable { url: u, .. } if *u == url),
        "{err:?}"
    );
    assert!(err.message_fr().contains("injoignable"));
}
