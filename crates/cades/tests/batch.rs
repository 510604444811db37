//! Pipelined batch signing: every item signed and verifiable, in input order; a signer failure
//! stops the batch without any item silently left unsigned.
#![allow(clippy::unwrap_used)]

mod common;

use std::cell::Cell;

use chrono::Utc;
use common::{cert, Pki};
use p256::pkcs8::DecodePrivateKey;
use sceau_cades::{
    sign_detached_batch, sign_detached_run, verify_detached, BatchItem, DigestAlgorithm, Error,
};
use sceau_testsupport::pki::KeySpec;

/// Signs with an in-memory key, failing from the `fail_at`-th call on (like a key pulled out).
struct FlakySigner {
    key: p256::ecdsa::SigningKey,
    calls: Cell<usize>,
    fail_at: usize,
    /// Signatures announced to [`sceau_cades::RunSigner::begin_run`].
    announced: Cell<usize>,
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
        announced: Cell::new(0),
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
        announced: Cell::new(0),
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

/// A run of [`FlakySigner`]: counts the runs and the announced signatures.
struct FlakyRun<'a> {
    signer: &'a FlakySigner,
}

impl sceau_cades::RunSigner<p256::ecdsa::DerSignature> for FlakySigner {
    type Run<'a> = FlakyRun<'a>;
    fn begin_run(&self, count: usize) -> FlakyRun<'_> {
        self.announced.set(self.announced.get() + count);
        FlakyRun { signer: self }
    }
}

impl sceau_cades::SignerRun<p256::ecdsa::DerSignature> for FlakyRun<'_> {
    fn sign_next(&mut self, msg: &[u8]) -> Result<p256::ecdsa::DerSignature, signature::Error> {
        signature::Signer::try_sign(self.signer, msg)
    }
}

#[test]
fn a_run_signs_every_item_in_order_and_stops_at_the_first_signer_failure() {
    let pki = Pki::new();
    let id = pki.signer(KeySpec::EcP256);
    let signer_cert = cert(&id);
    for n in [1, 7] {
        let signer = FlakySigner {
            key: p256::ecdsa::SigningKey::from_pkcs8_der(&id.key_pkcs8_der).unwrap(),
            calls: Cell::new(0),
            fail_at: usize::MAX,
            announced: Cell::new(0),
        };
        let docs = documents(n);
        let items: Vec<BatchItem<'_>> = docs
            .iter()
            .map(|d| BatchItem {
                content: d,
                signing_time: Utc::now(),
            })
            .collect();
        let results = sign_detached_run(
            &signer,
            &signer_cert,
            &pki.chain(),
            DigestAlgorithm::Sha256,
            &items,
        );
        assert_eq!(signer.announced.get(), n, "one run announcing every item");
        assert_eq!(results.len(), n);
        for (i, (doc, p7s)) in docs.iter().zip(&results).enumerate() {
            let report =
                verify_detached(doc, p7s.as_ref().unwrap(), &pki.anchors(), Utc::now()).unwrap();
            assert!(report.is_valid(), "item {i}: {:?}", report.failures());
            if let Some(next) = docs.get(i + 1) {
                let other =
                    verify_detached(next, p7s.as_ref().unwrap(), &pki.anchors(), Utc::now())
                        .unwrap();
                assert!(!other.is_valid());
            }
        }
    }
    let signer = FlakySigner {
        key: p256::ecdsa::SigningKey::from_pkcs8_der(&id.key_pkcs8_der).unwrap(),
        calls: Cell::new(0),
        fail_at: 2,
        announced: Cell::new(0),
    };
    let docs = documents(5);
    let items: Vec<BatchItem<'_>> = docs
        .iter()
        .map(|d| BatchItem {
            content: d,
            signing_time: Utc::now(),
        })
        .collect();
    let results = sign_detached_run(&signer, &signer_cert, &[], DigestAlgorithm::Sha256, &items);
    assert!(results[..2].iter().all(Result::is_ok));
    assert!(matches!(results[2], Err(Error::Signing(_))));
    assert!(results[3..]
        .iter()
        .all(|r| matches!(r, Err(Error::BatchAborted(_)))));
    assert_eq!(signer.calls.get(), 3);
}
