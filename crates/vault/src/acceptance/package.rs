//! The package of a deposit as read from its spool file: the manifest, the acts and their
//! signatures, the data message checked against its XSD structure and against the package, the
//! single XML flow checked byte for byte against the flow those parts make.

use std::io::Read;

use sceau_proto::{DepositManifest, MANIFEST_NAME};

use super::sha;
use crate::error::{storage, Error, Result};
use crate::store::pool::PooledFile;

/// One act of a package.
pub(super) struct Act {
    pub(super) name: String,
    pub(super) pdf: Vec<u8>,
    /// SHA-256 of `pdf`, computed once.
    pub(super) sha256: [u8; 32],
    pub(super) p7s: Vec<u8>,
    pub(super) p7s_name: String,
}

/// The refusal of a compressed entry: a package stores its entries as they are.
fn compressed(name: &str) -> Error {
    Error::BadPackage(format!(
        "élément {name} compressé : un paquet de dépôt contient ses éléments stockés sans \
         compression (préparez-le avec Sceau)"
    ))
}

/// Why entry `name` of a package cannot be opened, in the office's words.
fn entry_error(name: &str, e: zip::result::ZipError) -> Error {
    match e {
        zip::result::ZipError::FileNotFound => Error::BadPackage(format!("élément {name} absent")),
        zip::result::ZipError::UnsupportedArchive(_) => compressed(name),
        other => Error::BadPackage(format!("élément {name} illisible ({other})")),
    }
}

/// Refuses entry `name` unless it is stored (whatever compression this build could read).
fn must_be_stored(name: &str, method: zip::CompressionMethod) -> Result<()> {
    if method == zip::CompressionMethod::Stored {
        Ok(())
    } else {
        Err(compressed(name))
    }
}

/// A package read from its spool file.
pub(crate) struct Package {
    pub(super) manifest: DepositManifest,
    pub(super) acts: Vec<Act>,
    pub(super) data_message: Vec<u8>,
    /// What the data message says.
    pub(super) message: crate::data_message::DataMessage,
    /// The single XML flow (`flux_acte.xml`), checked against the parts.
    pub(super) flow: Vec<u8>,
}

/// The acts as parts of the single XML flow.
fn flow_parts(acts: &[Act]) -> Vec<sceau_core::flow::FlowAct<'_>> {
    acts.iter()
        .map(|a| sceau_core::flow::FlowAct {
            name: &a.name,
            pdf: &a.pdf,
            signature_name: &a.p7s_name,
            signature: &a.p7s,
        })
        .collect()
}

impl Package {
    /// Reads and checks the package in `spool`: its layout, its manifest and its data message
    /// (each entry stored, none over `max_doc` bytes).
    pub(crate) fn read(spool: PooledFile, max_doc: u64) -> Result<Package> {
        let bad = |m: String| Error::BadPackage(m);
        let file = std::fs::File::open(spool.path()).map_err(storage)?;
        let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
            .map_err(|e| bad(format!("ZIP illisible ({e})")))?;
        let mut raw = Vec::new();
        let manifest_entry = zip
            .by_name(MANIFEST_NAME)
            .map_err(|e| entry_error(MANIFEST_NAME, e))?;
        must_be_stored(MANIFEST_NAME, manifest_entry.compression())?;
        manifest_entry
            .take(1024 * 1024)
            .read_to_end(&mut raw)
            .map_err(|e| bad(format!("{MANIFEST_NAME} illisible ({e})")))?;
        let manifest: DepositManifest = serde_json::from_slice(&raw)
            .map_err(|e| bad(format!("{MANIFEST_NAME} invalide ({e})")))?;
        // sceau-core's layout: flat sanitised names, one .p7s per act, one data message.
        let names: Vec<String> = zip
            .file_names()
            .filter(|n| *n != MANIFEST_NAME)
            .map(str::to_owned)
            .collect();
        let layout = sceau_core::package::check_layout(names.iter().map(String::as_str))
            .map_err(|e| bad(e.message_fr()))?;
        let mut entry = |name: &str| -> Result<Vec<u8>> {
            let mut f = zip.by_name(name).map_err(|e| entry_error(name, e))?;
            must_be_stored(name, f.compression())?;
            if f.size() > max_doc {
                return Err(Error::TooLarge(format!("{name} dépasse {max_doc} octets")));
            }
            let mut out = Vec::with_capacity(usize::try_from(f.size()).unwrap_or(0));
            f.by_ref()
                .take(max_doc + 1)
                .read_to_end(&mut out)
                .map_err(|e| bad(format!("{name} illisible ({e})")))?;
            Ok(out)
        };
        let listed: Vec<&str> = manifest.documents.iter().map(|d| d.file.as_str()).collect();
        if listed.len() != layout.len() || layout.iter().any(|a| !listed.contains(&a.as_str())) {
            return Err(bad(
                "le manifeste ne liste pas exactement les actes du paquet".into(),
            ));
        }
        if manifest.data_message != sceau_core::package::DATA_MESSAGE_NAME {
            return Err(bad("nom du message de données inattendu".into()));
        }
        let mut acts = Vec::new();
        for d in &manifest.documents {
            if d.signature != sceau_core::package::signature_name(&d.file) {
                return Err(bad(format!("signature inattendue pour {}", d.file)));
            }
            let pdf = entry(&d.file)?;
            acts.push(Act {
                name: d.file.clone(),
                sha256: sha(&pdf),
                pdf,
                p7s: entry(&d.signature)?,
                p7s_name: d.signature.clone(),
            });
        }
        // The service's draft, by the rule the workstation applied (`sceau_core::draft`).
        if let Some(p) = sceau_core::draft::reference_problem(&manifest.reference) {
            return Err(bad(p.message_fr()));
        }
        // The data message: the structure of its XSD, then the package it describes.
        let data_message = entry(&manifest.data_message)?;
        let message = crate::data_message::validate(&data_message)?;
        if let Some(p) = sceau_core::draft::requerant_problem(&message.requerant.name) {
            return Err(bad(p.message_fr()));
        }
        let described: Vec<(String, u64, String)> = acts
            .iter()
            .map(|a| (a.name.clone(), a.pdf.len() as u64, hex::encode(a.sha256)))
            .collect();
        crate::data_message::cross_check(
            &message,
            &described,
            &manifest.nature,
            &manifest.reference,
        )?;
        // The single XML flow: exactly the one these checked parts make, byte for byte.
        let flow = {
            // UTF-8: `validate` read it as such.
            let text = std::str::from_utf8(&data_message)
                .map_err(|_| Error::DataMessageInvalid("le texte n'est pas en UTF-8".into()))?;
            let expected = sceau_core::flow::build(text, &flow_parts(&acts));
            let name = sceau_core::flow::FLOW_NAME;
            let mut f = zip.by_name(name).map_err(|e| entry_error(name, e))?;
            must_be_stored(name, f.compression())?;
            if f.size() != expected.len() as u64 {
                return Err(Error::FlowMismatch);
            }
            let mut got = Vec::with_capacity(expected.len());
            f.by_ref()
                .take(expected.len() as u64 + 1)
                .read_to_end(&mut got)
                .map_err(|e| bad(format!("{name} illisible ({e})")))?;
            if got != expected {
                return Err(Error::FlowMismatch);
            }
            expected
        };
        Ok(Package {
            manifest,
            acts,
            data_message,
            message,
            flow,
        })
    }
}
