//! Pipelined batch signing: every item signed and verifiable, in input order; a signer failure
//! stops the batch without any item silently left unsigned.
#![allow(clippy::unwrap_used)]

mod common;

use std::cell::Cell;

use chrono::Utc;
use common::{cert, Pki};
use p256::pkcs8::DecodePrivateKey;
use sceau_cades::{sign_detached_batch, verify_detached, BatchItem, DigestAlgorithm, Error};
use sceau_testsupport::pki::KeySpec;

/// Signs with an in-memory key, failing from the `fail_at`-th call on (like a key pulled out).
struct FlakySigner {
    key: p256::ecdsa::SigningKey,
    calls: Cell<usize>,
    fail_at: usize,
}

impl signature::Keypair for FlakySigner {
    type VerifyingKey = p256::ecdsa::VerifyingKey;
    fn verifying_key(&self) -> Self::VerifyingKey {
        *self.key.verifying_key()
    }
}

impl spki::DynSignatureAlgorithmIdentifier for FlakySigner {
    fn signature_algorithm_identifier(&self) -> spki::Result<spki::AlgorithmIdentifierOwned> {
        self.key.signature_algorithm_identifier()
    }
}

impl signature::Signer<p256::ecdsa::DerSignature> for FlakySigner {
    fn try_sign(&self, msg: &[u8]) -> Result<p256::ecdsa::DerSignature, signature::Error> {
        let n = self.calls.get();
        self.calls.set(n + 1);
        if n >= self.fail_at {
            return Err(signature::Error::new());
        }
        self.key.try_sign(msg)
    }
}

fn documents(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            format!("Acte n° {i} — saisie-attribution")
                .repeat(100 + i)
                .into_bytes()
        })
        .collect()
}

#[test]
fn every_item_is_signed_in_order() {
    let pki = Pki::new();
    let id = pki.signer(KeySpec::EcP256);
    let signer = FlakySigner {
        key: p256::ecdsa::SigningKey::from_pkcs8_der(&id.key_pkcs8_der).unwrap(),
        calls: Cell::new(0),
        fail_at: usize::MAX,
    };
    let docs = documents(12);
    let items: Vec<BatchItem<'_>> = docs
        .iter()
        .map(|d| BatchItem {
            content: d,
            signing_time: Utc::now(),
        })
        .collect();
    let signer_cert = cert(&id);
    let results = sign_detached_batch(
        &signer,
        &signer_cert,
        &pki.chain(),
        DigestAlgorithm::Sha256,
        &items,
    );
    assert_eq!(results.len(), docs.len());
    for (i, (doc, p7s)) in docs.iter().zip(&results).enumerate() {
        let p7s = p7s.as_ref().unwrap();
        let report = verify_detached(doc, p7s, &pki.anchors(), Utc::now()).unwrap();
        assert!(report.is_valid(), "item {i}: {:?}", report.failures());
        // In order: item i's signature does not match item i+1's content.
        if let Some(next) = docs.get(i + 1) {
            let other = verify_detached(next, p7s, &pki.anchors(), Utc::now()).unwrap();
            assert!(!other.is_valid());
        }
    }
}

#[test]
fn a_signer_failure_stops_the_batch_and_says_so_for_each_remaining_item() {
    let pki = Pki::new();
    let id = pki.signer(KeySpec::EcP256);
    let signer = FlakySigner {
        key: p256::ecdsa::SigningKey::from_pkcs8_der(&id.key_pkcs8_der).unwrap(),
        calls: Cell::new(0),
        fail_at: 3,
    };
    let docs = documents(6);
    let items: Vec<BatchItem<'_>> = docs
        .iter()
        .map(|d| BatchItem {
            content: d,
            signing_time: Utc::now(),
        })
        .collect();
    let signer_cert = cert(&id);
    let results = sign_detached_batch(&signer, &signer_cert, &[], DigestAlgorithm::Sha256, &items);
    assert!(results[..3].iter().all(Result::is_ok));
    assert!(matches!(results[3], Err(Error::Signing(_))));
    assert!(results[4..]
        .iter()
        .all(|r| matches!(r, Err(Error::BatchAborted(_)))));
    // The signer was not called again after it failed.
    assert_eq!(signer.calls.get(), 4);
}
