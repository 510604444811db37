//! The acceptance of a deposit (steps 5 and 6 of a service), once its package is read
//! (`package`): the checks (`check`), the attestation sealed and time-stamped with the
//! office's archive (`seal`), then the blobs and the one metadata transaction (`commit`).
//!
//! Nothing is visible until the one metadata transaction that records the deposit, its files in
//! the recipient's vault, the archive in the office's vault and the journal lines. Blobs are
//! written before that transaction: if the process dies in between they are unreferenced, never
//! partial, and the next start collects them ([`crate::gc`]). The transaction is shared with the
//! deposits committing at the same moment ([`crate::group_commit`]).
//!
//! Checks, in this order, each refusal with its code: the package layout and the data message
//! (its XSD structure, then its documents against the package), the nature, the recipient, the
//! consent, the hours, each signature (valid, by a signature certificate of the bound holder) and
//! each act's PDF/A-1b conformance.

mod check;
mod commit;
mod package;
mod seal;

use std::sync::Arc;

use sceau_core::evidence::EvidenceEvent;
use sceau_proto::DepositReceipt;
use sha2::{Digest, Sha256};

pub(crate) use package::Package;

use crate::error::{Error, Result};
use crate::journal::{self, Entry};
use crate::peer::Authed;
use crate::Vault;

/// Folder of the office's vault where archives are filed.
pub const ARCHIVE_FOLDER: &str = "Significations";

/// Environment variable of the crash tests: `POINT:FLAG_FILE` makes a deposit that reaches
/// `POINT` create `FLAG_FILE` and then wait as long as that file exists, so that the test kills
/// the process at a known step with SIGKILL, or lets the deposit go on by removing the file (no
/// timing involved). `POINT@KEY:FLAG_FILE` holds only the deposit of idempotency key `KEY`;
/// several holds are separated by `|`. Only in debug builds (the tests'): a release build
/// ignores the variable, the hook being removed as dead code.
pub const CRASH_POINT_ENV: &str = "SCEAU_VAULT_CRASH_POINT";

async fn crash_point(point: &str, key: &str) {
    if !cfg!(debug_assertions) {
        return;
    }
    let Ok(spec) = std::env::var(CRASH_POINT_ENV) else {
        return;
    };
    for hold in spec.split('|') {
        let Some((at, flag)) = hold.split_once(':') else {
            continue;
        };
        let (p, only) = match at.split_once('@') {
            Some((p, k)) => (p, Some(k)),
            None => (at, None),
        };
        if p == point && only.is_none_or(|k| k == key) {
            let flag = std::path::Path::new(flag);
            if std::fs::write(flag, point).is_err() {
                continue;
            }
            while flag.exists() {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }
}

fn sha(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Every check, then the commit, for the deposit of `pkg` under idempotency key `key` (its
/// upload's digest `announced`); a refusal is recorded in the journal.
pub(crate) async fn accept(
    vault: &Arc<Vault>,
    who: &Authed,
    key: &str,
    announced: &str,
    pkg: Package,
) -> Result<DepositReceipt> {
    let steps = async {
        let checked = check::check(vault, who, pkg).await?;
        let sealed = seal::seal(vault, who, checked).await?;
        commit::commit(vault, who, key, announced, sealed).await
    };
    match steps.await {
        Ok(receipt) => Ok(receipt),
        Err(e) => {
            reject(vault, who, &e).await;
            Err(e)
        }
    }
}

/// Records a refused submission in the journal (the code only: no personal data).
async fn reject(vault: &Vault, who: &Authed, e: &Error) {
    if e.status().is_server_error() {
        return;
    }
    let record = journal::record(
        EvidenceEvent::SubmissionRejection,
        vault.clock.now(),
        &format!("etude:{}", who.office.office.number),
        "",
        "",
        Vec::new(),
        Some(e.code().to_owned()),
    );
    let entry = Entry {
        record,
        office_id: Some(who.office.office.id.clone()),
        message: format!("Dépôt refusé : {}", e.message_fr()),
    };
    let _guard = vault.commit_lock.lock().await;
    if let Err(err) = vault
        .db(move |sql| journal::append(sql, std::slice::from_ref(&entry)))
        .await
    {
        tracing::error!(error = %err, "journal append failed");
    }
}
