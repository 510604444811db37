//! The commit of a sealed deposit: its blobs first, then the one metadata transaction (shared
//! with the deposits committing at the same moment) that records the deposit, its files in the
//! recipient's vault, the archive in the office's vault and the journal lines.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sceau_core::evidence::EvidenceEvent;
use sceau_proto::{DepositReceipt, VaultEntry, ATTESTATION_NAME};

use super::seal::Sealed;
use super::{crash_point, sha, ARCHIVE_FOLDER};
use crate::error::{storage, Error, Result};
use crate::journal::{self, Entry};
use crate::peer::Authed;
use crate::store::meta::{self, DepositRow};
use crate::store::sql::Sql;
use crate::Vault;

/// Writes the acts' and the archive's blobs, all at once (content-addressed, named in the
/// deposit's pending note beforehand).
async fn store_blobs(vault: &Vault, s: &mut Sealed, key: &str) -> Result<()> {
    crash_point("blobs-before", key).await;
    let act_blobs: Vec<(String, Vec<u8>)> = s
        .checked
        .pkg
        .acts
        .iter()
        .map(|a| (hex::encode(a.sha256), a.pdf.clone()))
        .collect();
    let mut puts: Vec<futures_util::future::BoxFuture<'static, Result<()>>> =
        Vec::with_capacity(act_blobs.len() + 1);
    let blobs = vault.blobs.clone();
    let name = hex::encode(s.archive_digest);
    let archive = std::mem::take(&mut s.archive);
    puts.push(Box::pin(
        async move { blobs.put_named(&name, archive).await },
    ));
    for (name, pdf) in act_blobs {
        let blobs = vault.blobs.clone();
        puts.push(Box::pin(async move { blobs.put_named(&name, pdf).await }));
    }
    futures_util::future::try_join_all(puts).await?;
    crash_point("blobs-written", key).await;
    Ok(())
}

/// The journal lines of an accepted deposit: acceptance, consignment of the acts, the
/// attestation, the archive filed.
fn journal_entries(who: &Authed, s: &Sealed, files: &[String]) -> Vec<Entry> {
    let c = &s.checked;
    let (now, deposit_id) = (c.now, &s.deposit_id);
    let sender = format!("etude:{}", who.office.office.number);
    let digests: Vec<(String, [u8; 32])> = s
        .documents
        .iter()
        .map(|d| (d.name.clone(), d.sha256))
        .collect();
    vec![
        Entry {
            record: journal::record(
                EvidenceEvent::SubmissionAcceptance,
                now,
                &sender,
                &c.recipient.id,
                deposit_id,
                digests.clone(),
                None,
            ),
            office_id: Some(who.office.office.id.clone()),
            message: format!("Dépôt {} accepté", c.pkg.manifest.reference),
        },
        Entry {
            record: journal::record(
                EvidenceEvent::ContentConsignment,
                now,
                &sender,
                &c.recipient.id,
                deposit_id,
                digests,
                None,
            ),
            office_id: Some(who.office.office.id.clone()),
            message: format!(
                "Fichier {} ({}) déposé dans le coffre destinataire {}",
                files.join(", "),
                c.nature.label_fr,
                c.recipient.name
            ),
        },
        Entry {
            record: journal::record(
                EvidenceEvent::DepositAttestationCreated,
                now,
                &sender,
                &c.recipient.id,
                deposit_id,
                vec![(ATTESTATION_NAME.to_owned(), sha(&s.xml))],
                None,
            ),
            office_id: Some(who.office.office.id.clone()),
            message: format!("Création de l'attestation de dépôt {ATTESTATION_NAME}"),
        },
        Entry {
            record: journal::record(
                EvidenceEvent::ArchiveFiled,
                now,
                &sender,
                &c.recipient.id,
                deposit_id,
                vec![(s.archive_name.clone(), s.archive_digest)],
                None,
            ),
            office_id: Some(who.office.office.id.clone()),
            message: format!(
                "Fichier {} ({}) déposé dans votre coffre pour archivage",
                s.archive_name, c.nature.label_fr
            ),
        },
    ]
}

/// What the transaction records, prepared outside it.
struct Records {
    office_id: String,
    key: String,
    announced: String,
    row: DepositRow,
    /// (name, SHA-256, size) of the recipient's files: each act, then the single XML flow (its
    /// blob is the archive's, which holds it).
    acts: Vec<(String, String, i64)>,
    archive_entry: VaultEntry,
    entries: Vec<Entry>,
    receipt: DepositReceipt,
    now: DateTime<Utc>,
}

/// Stores the blobs, then commits the deposit with the deposits committing at the same moment.
pub(super) async fn commit(
    vault: &Arc<Vault>,
    who: &Authed,
    key: &str,
    announced: &str,
    mut s: Sealed,
) -> Result<DepositReceipt> {
    let files: Vec<String> = s.checked.pkg.acts.iter().map(|a| a.name.clone()).collect();
    let archive_sha = hex::encode(s.archive_digest);
    let archive_len = s.archive.len() as u64;
    // The flow is offered to the recipient from the archive that holds it (not stored twice):
    // its row names the archive's blob.
    let flow_file = (
        sceau_core::flow::FLOW_NAME.to_owned(),
        archive_sha.clone(),
        s.checked.pkg.flow.len() as i64,
    );
    store_blobs(vault, &mut s, key).await?;

    let c = &s.checked;
    let (m, now) = (&c.pkg.manifest, c.now);
    let archive_path = format!("{ARCHIVE_FOLDER}/{}", s.archive_name);
    let receipt = DepositReceipt {
        deposit_id: s.deposit_id.clone(),
        deposited_at: now,
        archive_name: s.archive_name.clone(),
        archive_path: archive_path.clone(),
        attestation_sha256: hex::encode(sha(&s.xml)),
        documents: files.clone(),
    };
    let row = DepositRow {
        id: s.deposit_id.clone(),
        office_id: who.office.office.id.clone(),
        idem_key: key.to_owned(),
        content_sha256: announced.to_owned(),
        recipient_id: c.recipient.id.clone(),
        recipient_name: c.recipient.name.clone(),
        nature: c.nature.code.clone(),
        reference: m.reference.clone(),
        source: match m.source {
            sceau_proto::Source::Form => "form".into(),
            sceau_proto::Source::Edi => "edi".into(),
        },
        state: "awaiting_consultation".into(),
        deposited_at: now,
        files: files.clone(),
        receipt: serde_json::to_string(&receipt).map_err(storage)?,
        region: Some(c.place.region),
    };
    let entries = journal_entries(who, &s, &files);
    let retained_until = now
        .checked_add_months(chrono::Months::new(12 * vault.config.retention_years))
        .unwrap_or(now);
    let archive_entry = VaultEntry {
        path: archive_path,
        is_folder: false,
        size: archive_len,
        modified: now,
        sha256: Some(archive_sha),
        retained_until: Some(retained_until),
        deposit_id: Some(s.deposit_id.clone()),
        description: None,
    };
    let acts: Vec<(String, String, i64)> = c
        .pkg
        .acts
        .iter()
        .map(|a| (a.name.clone(), hex::encode(a.sha256), a.pdf.len() as i64))
        .chain(std::iter::once(flow_file))
        .collect();

    let records = Records {
        office_id: who.office.office.id.clone(),
        key: key.to_owned(),
        announced: announced.to_owned(),
        row,
        acts,
        archive_entry,
        entries,
        receipt,
        now,
    };
    let outcome = crate::group_commit::commit(
        vault,
        &vault.group_commit,
        Box::new(move |sql| record(sql, &records)),
    )
    .await;
    let receipt = outcome?;
    if receipt.deposit_id == s.deposit_id {
        s.note.committed();
    }
    // Otherwise a concurrent request with the same key committed first: this request's archive
    // is referenced by nothing and its note stays for the next collection.
    vault.feed.notify_waiters();
    tracing::info!(deposit = %receipt.deposit_id, "deposit accepted");
    Ok(receipt)
}

/// The transaction's work: the deposit, its files in the recipient's vault, the archive in the
/// office's vault and the journal lines; the receipt (the first one when a concurrent request
/// with the same key committed first).
fn record(sql: &mut dyn Sql, r: &Records) -> Result<DepositReceipt> {
    let office_id = &r.office_id;
    // A concurrent request with the same key may have committed first.
    if let Some(existing) = meta::deposit_by_key(sql, office_id, &r.key)? {
        if existing.content_sha256 != r.announced {
            return Err(Error::IdempotencyConflict);
        }
        return serde_json::from_str(&existing.receipt).map_err(storage);
    }
    meta::insert_deposit(sql, &r.row)?;
    for (name, digest, size) in &r.acts {
        meta::insert_recipient_file(sql, &r.row.recipient_id, &r.row.id, name, digest, *size)?;
    }
    meta::ensure_folder(sql, office_id, ARCHIVE_FOLDER, r.now)?;
    let mut entry = r.archive_entry.clone();
    entry.path = archive_path(sql, office_id, &r.archive_entry.path)?;
    meta::insert_entry(sql, office_id, &entry)?;
    journal::append(sql, &r.entries)?;
    let mut receipt = r.receipt.clone();
    receipt.archive_path = entry.path.clone();
    if entry.path != r.archive_entry.path {
        sql.exec(
            "UPDATE deposits SET receipt = $1 WHERE id = $2",
            &[
                serde_json::to_string(&receipt).map_err(storage)?.into(),
                (&r.row.id).into(),
            ],
        )?;
    }
    Ok(receipt)
}

/// Where the archive `path` is filed: `path` if free, else numbered.
fn archive_path(sql: &mut dyn Sql, office_id: &str, path: &str) -> Result<String> {
    if meta::entry(sql, office_id, path)?.is_none() {
        return Ok(path.to_owned());
    }
    // Two deposits with the same reference in the same second: keep both archives, numbered
    // _2, _3, ... Count the numbered ones (an index range) rather than probe each: probing made
    // a burst of same-named deposits quadratic under the commit lock.
    let stem = path.trim_end_matches(".zip");
    // '`' follows '_' in byte order: [stem_, stem`) is every "stem_..." path.
    let numbered = sql
        .query(
            "SELECT count(*) FROM vault_entries \
             WHERE office_id = $1 AND path >= $2 AND path < $3",
            &[
                office_id.into(),
                format!("{stem}_").into(),
                format!("{stem}`").into(),
            ],
        )?
        .first()
        .map_or(0, |r| r[0].int());
    let mut n = numbered + 2;
    loop {
        let numbered_path = format!("{stem}_{n}.zip");
        if meta::entry(sql, office_id, &numbered_path)?.is_none() {
            return Ok(numbered_path);
        }
        n += 1;
    }
}
