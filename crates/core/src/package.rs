//! Layout of the deposit package an office uploads (DESIGN.md §4 "What is deposited"): each act as
//! a signed PDF/A file with its detached CAdES signature, plus one XML data message.
//!
//! Entries are flat (no folders) and named:
//! - `<act>.pdf` — an act, named by [`crate::naming::act_file_name`];
//! - `<act>.pdf.p7s` — its detached CAdES signature (exactly one per act);
//! - `message_acte.xml` — the data message ([`crate::attestation::ActDataMessage`]), exactly once;
//! - `flux_acte.xml` — the single XML flow of the data message and the signed acts
//!   ([`crate::flow`]), exactly once.
//!
//! A name received from the network is checked with [`classify_entry`] and never used as a path
//! unless it is already in sanitised form.

use crate::error::CoreError;
use crate::flow::FLOW_NAME;
use crate::naming::sanitize;

/// Name of the XML data message inside a package.
pub const DATA_MESSAGE_NAME: &str = "message_acte.xml";
/// Suffix of a detached signature, appended to the act's file name.
pub const SIGNATURE_SUFFIX: &str = ".p7s";

/// What a package entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageEntry {
    /// An act (`.pdf`), by file name.
    Act(String),
    /// The detached signature of the act with this file name.
    Signature(String),
    /// The XML data message.
    DataMessage,
    /// The single XML flow ([`crate::flow::FLOW_NAME`]).
    Flow,
}

/// The signature entry's name for an act: `<act>.pdf.p7s`.
pub fn signature_name(act_file_name: &str) -> String {
    format!("{act_file_name}{SIGNATURE_SUFFIX}")
}

fn layout_error(reason: String) -> CoreError {
    CoreError::PackageLayout { reason }
}

/// Classifies one entry name, refusing anything that is not already a sanitised flat name with an
/// expected extension.
pub fn classify_entry(name: &str) -> Result<PackageEntry, CoreError> {
    if name != sanitize(name) || name.len() > 255 {
        return Err(layout_error(format!(
            "le nom de fichier « {} » n'est pas admis (caractères, chemin ou longueur)",
            name.escape_default()
        )));
    }
    if name == DATA_MESSAGE_NAME {
        return Ok(PackageEntry::DataMessage);
    }
    if name == FLOW_NAME {
        return Ok(PackageEntry::Flow);
    }
    let lower = name.to_ascii_lowercase();
    if let Some(act) = lower
        .strip_suffix(SIGNATURE_SUFFIX)
        .and_then(|_| name.get(..name.len() - SIGNATURE_SUFFIX.len()))
    {
        if act.to_ascii_lowercase().ends_with(".pdf") && act.len() > 4 {
            return Ok(PackageEntry::Signature(act.to_string()));
        }
    } else if lower.ends_with(".pdf") && name.len() > 4 {
        return Ok(PackageEntry::Act(name.to_string()));
    }
    Err(layout_error(format!(
        "le fichier « {name} » n'est ni un acte PDF, ni sa signature .p7s, ni {DATA_MESSAGE_NAME}, \
         ni {FLOW_NAME}"
    )))
}

/// Checks a whole package's entry names: at least one act, exactly one signature per act and no
/// other, exactly one data message and one flow, no duplicates. Returns the acts in the given order.
pub fn check_layout<'a, I>(names: I) -> Result<Vec<String>, CoreError>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut acts: Vec<String> = Vec::new();
    let mut signatures: Vec<String> = Vec::new();
    let mut messages = 0usize;
    let mut flows = 0usize;
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        if seen.contains(&name) {
            return Err(layout_error(format!(
                "le fichier « {name} » figure deux fois"
            )));
        }
        seen.push(name);
        match classify_entry(name)? {
            PackageEntry::Act(a) => acts.push(a),
            PackageEntry::Signature(a) => signatures.push(a),
            PackageEntry::DataMessage => messages += 1,
            PackageEntry::Flow => flows += 1,
        }
    }
    if acts.is_empty() {
        return Err(layout_error("aucun acte PDF".into()));
    }
    if messages != 1 {
        return Err(layout_error(format!(
            "le message de données {DATA_MESSAGE_NAME} manque"
        )));
    }
    if flows != 1 {
        return Err(layout_error(format!(
            "le flux XML {FLOW_NAME} manque (préparez le dépôt avec une version à jour de Sceau)"
        )));
    }
    if let Some(a) = acts.iter().find(|a| !signatures.contains(a)) {
        return Err(layout_error(format!("l'acte « {a} » n'a pas de signature")));
    }
    if let Some(s) = signatures.iter().find(|s| !acts.contains(s)) {
        return Err(layout_error(format!(
            "la signature « {} » ne correspond à aucun acte",
            signature_name(s)
        )));
    }
    Ok(acts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACT: &str = "9991_REF_20130917_145203.pdf";

    #[test]
    fn classify() {
        assert_eq!(classify_entry(ACT), Ok(PackageEntry::Act(ACT.into())));
        assert_eq!(
            classify_entry(&signature_name(ACT)),
            Ok(PackageEntry::Signature(ACT.into()))
        );
        assert_eq!(
            classify_entry("message_acte.xml"),
            Ok(PackageEntry::DataMessage)
        );
        assert_eq!(classify_entry("flux_acte.xml"), Ok(PackageEntry::Flow));
        for bad in [
            "../x.pdf",
            "a/b.pdf",
            "CON.pdf",
            ".pdf",
            "x.pdf.",
            "x.docx",
            "x.p7s",
            "",
            "x\0.pdf",
            "é.pdf",
            "..pdf.p7s",
        ] {
            let e = classify_entry(bad).expect_err(bad);
            assert_eq!(e.code(), "package.layout");
        }
    }

    #[test]
    fn layouts() {
        let sig = signature_name(ACT);
        assert_eq!(
            check_layout([ACT, sig.as_str(), DATA_MESSAGE_NAME, FLOW_NAME]),
            Ok(vec![ACT.to_string()])
        );
        let second = "9991_REF_20130917_145203_annexe.pdf";
        let sig2 = signature_name(second);
        assert_eq!(
            check_layout([
                second,
                DATA_MESSAGE_NAME,
                sig.as_str(),
                FLOW_NAME,
                ACT,
                sig2.as_str()
            ]),
            Ok(vec![second.to_string(), ACT.to_string()])
        );
        let cases: Vec<(Vec<&str>, &str)> = vec![
            (
                vec![ACT, DATA_MESSAGE_NAME, FLOW_NAME],
                "n'a pas de signature",
            ),
            (vec![ACT, sig.as_str(), FLOW_NAME], "message de données"),
            (
                vec![ACT, sig.as_str(), DATA_MESSAGE_NAME],
                "flux XML flux_acte.xml manque",
            ),
            (
                vec![ACT, sig.as_str(), DATA_MESSAGE_NAME, FLOW_NAME, FLOW_NAME],
                "deux fois",
            ),
            (
                vec![ACT, sig.as_str(), DATA_MESSAGE_NAME, DATA_MESSAGE_NAME],
                "deux fois",
            ),
            (vec![DATA_MESSAGE_NAME, FLOW_NAME], "aucun acte"),
            (
                vec![
                    ACT,
                    sig.as_str(),
                    sig2.as_str(),
                    DATA_MESSAGE_NAME,
                    FLOW_NAME,
                ],
                "aucun acte",
            ),
            (
                vec![ACT, sig.as_str(), DATA_MESSAGE_NAME, "../../etc/passwd"],
                "pas admis",
            ),
        ];
        for (names, needle) in cases {
            let e = check_layout(names.iter().copied()).expect_err(needle);
            assert!(
                e.message_fr().contains(needle),
                "{needle}: {}",
                e.message_fr()
            );
        }
    }
}
