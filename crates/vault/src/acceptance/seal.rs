//! The deposit attestation of a checked deposit, sealed and time-stamped, and the office's
//! archive that carries it.

use std::io::Write;
use std::sync::Arc;

use sceau_core::attestation::{
    CertificateInfo as AttCert, DepositAttestation, DepositOffice, DocumentDigest, NatureRef, Party,
};
use sceau_core::ids::RecipientId;
use sceau_proto::ATTESTATION_NAME;

use super::check::Checked;
use super::{sha, Package};
use crate::error::{storage, Result};
use crate::gc::PendingNote;
use crate::peer::Authed;
use crate::store::meta::RecipientRow;
use crate::Vault;

/// A checked deposit with its attestation and archive, their blobs not written yet.
pub(super) struct Sealed {
    /// What the checks found (the package included).
    pub(super) checked: Checked,
    /// The new deposit's id.
    pub(super) deposit_id: String,
    /// Name, size and digest of each act.
    pub(super) documents: Vec<DocumentDigest>,
    /// The attestation (XML).
    pub(super) xml: Vec<u8>,
    /// The archive's file name in the office's vault.
    pub(super) archive_name: String,
    /// The archive (ZIP).
    pub(super) archive: Vec<u8>,
    /// SHA-256 of `archive`.
    pub(super) archive_digest: [u8; 32],
    /// The pending note naming the blobs about to be written.
    pub(super) note: PendingNote,
}

fn recipient_ids(r: &RecipientRow) -> Vec<RecipientId> {
    let mut ids = Vec::new();
    for s in [&r.siret, &r.siren, &r.nir].into_iter().flatten() {
        if let Ok(id) = RecipientId::parse(s) {
            ids.push(id);
        }
    }
    ids
}

/// The attestation of deposit `deposit_id` of the acts `documents`.
fn attestation(
    vault: &Vault,
    who: &Authed,
    c: &Checked,
    deposit_id: &str,
    documents: &[DocumentDigest],
) -> DepositAttestation {
    let flow = &c.pkg.flow;
    let cert = &who.peer.info;
    DepositAttestation {
        deposit_id: deposit_id.to_owned(),
        office: DepositOffice {
            number: who.office.office.number.clone(),
            name: who.office.office.name.clone(),
            certificate: AttCert {
                serial: cert.serial_hex.clone(),
                holder: cert.holder.clone(),
                issuer: cert.issuer.clone(),
            },
        },
        recipient: Party {
            name: c.recipient.name.clone(),
            ids: recipient_ids(&c.recipient),
        },
        nature: NatureRef {
            code: c.nature.code.clone(),
            label_fr: c.nature.label_fr.clone(),
        },
        reference: c.pkg.manifest.reference.clone(),
        documents: documents.to_vec(),
        deposited_at: c.now,
        consent: c.consent.snapshot(),
        delivery_rule: crate::delivery::rule_of(vault),
        judge_permission: c.judge.clone(),
        place: Some(c.place),
        flow: Some(DocumentDigest {
            name: sceau_core::flow::FLOW_NAME.into(),
            size: flow.len() as u64,
            sha256: sha(flow),
        }),
    }
}

/// The attestation, sealed and time-stamped, and the archive that carries it.
pub(super) async fn seal(vault: &Arc<Vault>, who: &Authed, mut c: Checked) -> Result<Sealed> {
    let deposit_id = uuid::Uuid::new_v4().to_string();
    let documents: Vec<DocumentDigest> = c
        .pkg
        .acts
        .iter()
        .map(|a| DocumentDigest {
            name: a.name.clone(),
            size: a.pdf.len() as u64,
            sha256: a.sha256,
        })
        .collect();
    let xml = attestation(vault, who, &c, &deposit_id, &documents)
        .to_xml()
        .into_bytes();
    let archive_name =
        sceau_core::naming::archive_name(&c.recipient.name, &c.pkg.manifest.reference, c.now);
    // Sealing, time-stamping and building the archive are CPU work: off the async threads.
    // Blobs come first (content-addressed), named beforehand in a pending note so that a crash
    // before the commit leaves blobs the next start collects (`crate::gc`). The acts are stored
    // alone (the recipient's files); their signatures, the data message and the single XML flow
    // live in the archive, which is the office's record of the deposit (the recipient is
    // offered the flow from it).
    let now = c.now;
    let pkg = c.pkg;
    let (pkg, xml, archive, archive_digest, note) = {
        let vault = vault.clone();
        tokio::task::spawn_blocking(move || -> Result<_> {
            let seal = vault.seal.seal(&xml, now)?;
            let tst = vault.tsa.timestamp_data(&xml, now)?;
            let archive = build_archive(&pkg, &xml, &seal, &tst)?;
            let archive_digest = sha(&archive);
            let mut names: Vec<String> = pkg.acts.iter().map(|a| hex::encode(a.sha256)).collect();
            names.push(hex::encode(archive_digest));
            let note = PendingNote::write(&vault.notes, &names)?;
            Ok((pkg, xml, archive, archive_digest, note))
        })
        .await
        .map_err(storage)??
    };
    c.pkg = pkg;
    Ok(Sealed {
        checked: c,
        deposit_id,
        documents,
        xml,
        archive_name,
        archive,
        archive_digest,
        note,
    })
}

/// The archive ZIP: acts, signatures, data message, the single XML flow, attestation, its seal
/// and time-stamp.
fn build_archive(pkg: &Package, xml: &[u8], seal: &[u8], tst: &[u8]) -> Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut add = |name: &str, bytes: &[u8]| -> Result<()> {
        zip.start_file(name, opts).map_err(storage)?;
        zip.write_all(bytes).map_err(storage)
    };
    for a in &pkg.acts {
        add(&a.name, &a.pdf)?;
        add(&a.p7s_name, &a.p7s)?;
    }
    add(&pkg.manifest.data_message, &pkg.data_message)?;
    add(sceau_core::flow::FLOW_NAME, &pkg.flow)?;
    add(ATTESTATION_NAME, xml)?;
    add(&format!("{ATTESTATION_NAME}.p7s"), seal)?;
    add(&format!("{ATTESTATION_NAME}.tst"), tst)?;
    Ok(zip.finish().map_err(storage)?.into_inner())
}
