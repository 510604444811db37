//! Offline check of a proof bundle (`GET /v1/vault/proof`): the check lives in
//! `sceau_cades::proof` so that the `sceau` CLI verifies bundles without the server; this module
//! keeps the vault's own entry point on the same code.

pub use sceau_cades::proof::{ProofFailure, ProofReport};
use sceau_proto::ProofBundle;

/// Checks `bundle` (and `file`, when given, against its digest).
pub fn verify(bundle: &ProofBundle, file: Option<&[u8]>) -> Result<ProofReport, ProofFailure> {
    sceau_cades::proof::verify_bundle(bundle, file)
}
