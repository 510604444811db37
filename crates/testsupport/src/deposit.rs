//! Deposit packages as an office sends them to the vault (manifest, acts, detached signatures,
//! act data message), shared by the vault's tests and the vault benchmarks.

use std::io::Write;

use anyhow::{Context, Result};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};

/// Name of the act data message inside a package.
pub const DATA_MESSAGE_NAME: &str = "message_acte.xml";

/// The first working Tuesday at least two days from now, 09:00 UTC (10:00 or 11:00 in Paris):
/// within legal hours and within the validity of freshly issued test certificates.
pub fn tuesday_morning() -> DateTime<Utc> {
    let cal = sceau_core::calendar::Calendar::default();
    let mut day = (Utc::now() + Duration::days(2)).date_naive();
    while day.weekday() != Weekday::Tue || cal.is_public_holiday(day) {
        day += Duration::days(1);
    }
    Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN)) + Duration::hours(9)
}

/// What an act data message says (the office is 9991 "Etude 9991", the requesting party
/// "SA CREANCIER", the recipient "BANQUE TEST").
pub struct ActMessage<'a> {
    /// Nature code (also used as its label).
    pub nature: &'a str,
    /// The office's reference.
    pub reference: &'a str,
    /// A judge's permission to serve outside legal hours, if any.
    pub judge_permission: Option<&'a str>,
    /// Date of the act and time it was prepared.
    pub at: DateTime<Utc>,
    /// The acts described: (file name, PDF bytes).
    pub documents: &'a [(&'a str, &'a [u8])],
}

/// The act data message (XML) made by sceau-core.
pub fn act_message(m: &ActMessage<'_>) -> String {
    act_message_for(m, "9991", "BANQUE TEST")
}

/// The act data message of office `office_number` to the recipient named `recipient_name`.
pub fn act_message_for(m: &ActMessage<'_>, office_number: &str, recipient_name: &str) -> String {
    use sceau_core::attestation::{ActDataMessage, DocumentDigest, NatureRef, Office, Party};
    ActDataMessage {
        office: Office {
            number: office_number.into(),
            name: format!("Etude {office_number}"),
        },
        requerant: Party {
            name: "SA CREANCIER".into(),
            ids: vec![],
        },
        recipient: Party {
            name: recipient_name.into(),
            ids: vec![],
        },
        nature: NatureRef {
            code: m.nature.into(),
            label_fr: m.nature.into(),
        },
        reference: m.reference.into(),
        act_date: m.at.date_naive(),
        prepared_at: m.at,
        documents: m
            .documents
            .iter()
            .map(|(n, pdf)| DocumentDigest {
                name: (*n).into(),
                size: pdf.len() as u64,
                sha256: <sha2::Sha256 as sha2::Digest>::digest(pdf).into(),
            })
            .collect(),
        judge_permission: m.judge_permission.map(str::to_owned),
    }
    .to_xml()
}

/// A package's manifest whose acts are `files`, each signed in `<file>.p7s`.
pub fn manifest(
    reference: &str,
    recipient_id: &str,
    nature: &str,
    judge_permission: Option<&str>,
    source: sceau_proto::Source,
    files: &[&str],
) -> sceau_proto::DepositManifest {
    sceau_proto::DepositManifest {
        reference: reference.into(),
        recipient_id: recipient_id.into(),
        nature: nature.into(),
        judge_permission: judge_permission.map(str::to_owned),
        source,
        documents: files
            .iter()
            .map(|n| sceau_proto::ManifestDocument {
                file: (*n).into(),
                signature: format!("{n}.p7s"),
            })
            .collect(),
        data_message: DATA_MESSAGE_NAME.into(),
        office_alsace_moselle: false,
    }
}

/// One act of a package: (file name, PDF bytes, detached signature bytes).
pub type PackagedAct<'a> = (&'a str, &'a [u8], &'a [u8]);

/// A stored (uncompressed) package ZIP: the manifest, each act and its `.p7s`, the data
/// message, the single XML flow built from them, then `extra` entries as given (a
/// `flux_acte.xml` among them replaces the built flow); with its SHA-256 hex.
pub fn package_zip(
    manifest: &sceau_proto::DepositManifest,
    acts: &[PackagedAct<'_>],
    data_message: &str,
    extra: &[(&str, &[u8])],
) -> Result<(Vec<u8>, String)> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file(sceau_proto::MANIFEST_NAME, opts)?;
    zip.write_all(&serde_json::to_vec(manifest).context("manifest")?)?;
    for (name, pdf, sig) in acts {
        zip.start_file(*name, opts)?;
        zip.write_all(pdf)?;
        zip.start_file(format!("{name}.p7s"), opts)?;
        zip.write_all(sig)?;
    }
    zip.start_file(DATA_MESSAGE_NAME, opts)?;
    zip.write_all(data_message.as_bytes())?;
    // The single XML flow, built from these parts as the workstation does, unless `extra`
    // brings one (a test's tampered flow).
    let flow_name = sceau_core::flow::FLOW_NAME;
    if !extra.iter().any(|(n, _)| *n == flow_name) {
        let names: Vec<String> = acts.iter().map(|(n, _, _)| format!("{n}.p7s")).collect();
        let parts: Vec<sceau_core::flow::FlowAct<'_>> = acts
            .iter()
            .zip(&names)
            .map(|((name, pdf, sig), sig_name)| sceau_core::flow::FlowAct {
                name,
                pdf,
                signature_name: sig_name,
                signature: sig,
            })
            .collect();
        zip.start_file(flow_name, opts)?;
        zip.write_all(&sceau_core::flow::build(data_message, &parts))?;
    }
    for (name, bytes) in extra {
        zip.start_file(*name, opts)?;
        zip.write_all(bytes)?;
    }
    let bytes = zip.finish()?.into_inner();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    Ok((bytes, sha))
}
