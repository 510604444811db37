//! Returns of acts ("retour d'acte"): for natures that expect one, the recipient deposits a PDF
//! (banks may add a structured answer, JSON following `resources/schemas/reponse_banque.schema.json`).
//!
//! Everything is checked before anything is stored: the nature expects a return and none was
//! deposited yet, the size limit, the type by content (a PDF, not a ZIP or anything else named
//! `.pdf`), no stream that inflates beyond a bound (a decompression bomb), and the answer's
//! fields. The return is filed in the office's vault as `<act>_<NATURE>.pdf` (and
//! `<act>_<NATURE>.json`), with the event "Réponse déposée par le destinataire".

use std::sync::Arc;

use chrono::NaiveDate;
use sceau_core::evidence::EvidenceEvent;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::acceptance::ARCHIVE_FOLDER;
use crate::error::{storage, Error, Result};
use crate::journal::{self, Entry};
use crate::store::meta::{self, DepositRow, ReturnRow};
use crate::Vault;

/// Total decompressed bytes a return's streams may inflate to.
pub const MAX_INFLATED: usize = crate::pdfguard::MAX_INFLATED;

/// A bank's structured answer to a garnishment (the published JSON schema describes exactly
/// this; unknown fields are refused).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankAnswer {
    /// Schema version (1).
    pub version: u32,
    /// Whether the debtor holds accounts at the bank.
    pub accounts_found: bool,
    /// Accounts (empty when none).
    #[serde(default)]
    pub accounts: Vec<BankAccount>,
    /// Day of the declaration.
    pub declared_on: NaiveDate,
    /// Free remark.
    #[serde(default)]
    pub remark: Option<String>,
}

/// One account in a bank's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankAccount {
    /// Kind of account (e.g. "compte courant").
    pub kind: String,
    /// Balance in cents on the day of the garnishment.
    pub balance_cents: i64,
    /// Currency (ISO 4217, "EUR").
    pub currency: String,
}

fn refuse(reason: &str) -> Error {
    Error::BadRequest(format!("retour refusé : {reason}"))
}

/// Checks the PDF: type by content, bounded inflation (during loading, not after), no active
/// content.
pub fn check_pdf(pdf: &[u8], max: u64) -> Result<()> {
    if pdf.len() as u64 > max {
        return Err(Error::TooLarge(format!(
            "le retour dépasse {} Mo",
            max / (1024 * 1024)
        )));
    }
    if pdf.starts_with(b"PK\x03\x04") || pdf.starts_with(b"PK\x05\x06") {
        return Err(refuse("une archive ZIP n'est pas acceptée, déposez un PDF"));
    }
    match sceau_pdfa::sniff(pdf) {
        Ok(sceau_pdfa::InputKind::Pdf) => {}
        _ => return Err(refuse("le fichier n'est pas un PDF")),
    }
    // Bounded loading (`pdfguard`): nothing inflates beyond its bounds, even while lopdf loads.
    let doc = crate::pdfguard::load(pdf).map_err(|r| Error::PdfRefused(r.0))?;
    if let Some(what) = crate::pdfguard::active_content(&doc) {
        return Err(Error::ActiveContent(what.into()));
    }
    Ok(())
}

/// Checks a structured answer.
pub fn check_answer(json: &[u8], max: u64) -> Result<BankAnswer> {
    if json.len() as u64 > max.min(1024 * 1024) {
        return Err(Error::TooLarge(
            "réponse structurée trop volumineuse".into(),
        ));
    }
    let a: BankAnswer = serde_json::from_slice(json)
        .map_err(|e| refuse(&format!("réponse structurée invalide ({e})")))?;
    if a.version != 1 {
        return Err(refuse("version de réponse structurée inconnue"));
    }
    if a.accounts_found == a.accounts.is_empty() {
        return Err(refuse("comptes incohérents avec accounts_found"));
    }
    if a.accounts
        .iter()
        .any(|c| c.currency.len() != 3 || !c.currency.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(refuse(
            "devise invalide (code ISO 4217 en majuscules, ex. EUR)",
        ));
    }
    if a.accounts.iter().any(|c| c.kind.is_empty()) {
        return Err(refuse("nature de compte manquante"));
    }
    Ok(a)
}

/// Accepts a return for `d` from its recipient; nothing is stored unless every check passes.
pub async fn accept(
    vault: &Arc<Vault>,
    d: &DepositRow,
    pdf: Vec<u8>,
    answer: Option<Vec<u8>>,
) -> Result<ReturnRow> {
    let nature = vault
        .natures
        .get(&d.nature)
        .ok_or_else(|| Error::UnknownNature(d.nature.clone()))?;
    if !nature.expects_return {
        return Err(refuse("cette nature d'acte n'attend pas de retour"));
    }
    let id = d.id.clone();
    if vault
        .db(move |sql| meta::act_return(sql, &id))
        .await?
        .is_some()
    {
        return Err(Error::PathExists);
    }
    let max = vault.config.max_return_bytes;
    // A bounded number of checks at once (each may take tens of MB while it loads); the others
    // wait their turn a while, then are told to come back.
    let _permit = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        vault.pdf_checks.acquire(),
    )
    .await
    .map_err(|_| Error::Busy)?
    .map_err(|_| Error::Busy)?;
    let pdf = tokio::task::spawn_blocking(move || check_pdf(&pdf, max).map(|()| pdf))
        .await
        .map_err(storage)??;
    if let Some(a) = &answer {
        check_answer(a, max)?;
    }
    let now = vault.clock.now();
    let act = d
        .files
        .first()
        .cloned()
        .unwrap_or_else(|| format!("{}.pdf", d.id));
    let name = sceau_core::naming::return_name(&act, &d.nature);
    let pdf_sha = vault.blobs.put(pdf.clone()).await?;
    let mut files = vec![(name.clone(), pdf.len() as u64, pdf_sha.clone())];
    let answer_sha = match &answer {
        Some(a) => {
            let sha = vault.blobs.put(a.clone()).await?;
            let json_name = format!("{}.json", name.trim_end_matches(".pdf"));
            files.push((json_name, a.len() as u64, sha.clone()));
            Some(sha)
        }
        None => None,
    };
    let digest: [u8; 32] = Sha256::digest(&pdf).into();
    let retained = now.checked_add_months(chrono::Months::new(12 * vault.config.retention_years));
    let d2 = d.clone();
    let name2 = name.clone();
    let size = pdf.len() as u64;
    let _guard = vault.commit_lock.lock().await;
    let row = vault
        .db(move |sql| {
            let paths = meta::file_in_office_vault(
                sql,
                &d2.office_id,
                ARCHIVE_FOLDER,
                &files,
                &d2.id,
                now,
                retained,
            )?;
            let row = ReturnRow {
                deposit_id: d2.id.clone(),
                recipient_id: d2.recipient_id.clone(),
                deposited_at: now,
                name: name2.clone(),
                path: paths.first().cloned().unwrap_or_default(),
                sha256: pdf_sha.clone(),
                size,
                answer_sha256: answer_sha.clone(),
            };
            if !meta::insert_return(sql, &row)? {
                return Err(Error::PathExists);
            }
            journal::append(
                sql,
                &[Entry {
                    record: journal::record(
                        EvidenceEvent::ReturnDeposited,
                        now,
                        &d2.recipient_id,
                        &format!("etude:{}", d2.office_id),
                        &d2.id,
                        vec![(name2.clone(), digest)],
                        None,
                    ),
                    office_id: Some(d2.office_id.clone()),
                    message: format!("Réponse déposée par le destinataire : {name2}"),
                }],
            )?;
            Ok(row)
        })
        .await?;
    drop(_guard);
    vault.feed.notify_waiters();
    tracing::info!(deposit = %d.id, "return deposited");
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our verdict on answers equals that of an independent JSON-Schema validator (Python's
    /// `jsonschema`, draft 2020-12 with format checks) on the published schema, both ways.
    #[test]
    fn same_verdict_as_the_published_json_schema() {
        let good = r#"{"version": 1, "accounts_found": true, "declared_on": "2026-06-02",
            "accounts": [{"kind": "compte courant", "balance_cents": 12345, "currency": "EUR"}],
            "remark": "saisie pratiquée"}"#;
        let variants: Vec<&str> = vec![
            good,
            r#"{"version": 1, "accounts_found": false, "declared_on": "2026-06-02"}"#,
            r#"{"version": 1, "accounts_found": false, "declared_on": "2026-06-02", "accounts": [], "remark": null}"#,
            r#"{"version": 2, "accounts_found": false, "declared_on": "2026-06-02"}"#,
            r#"{"version": 1, "accounts_found": true, "declared_on": "2026-06-02"}"#,
            r#"{"version": 1, "accounts_found": true, "declared_on": "2026-06-02", "accounts": []}"#,
            r#"{"version": 1, "accounts_found": false, "declared_on": "2026-06-02",
                "accounts": [{"kind": "livret", "balance_cents": 1, "currency": "EUR"}]}"#,
            r#"{"version": 1, "accounts_found": false, "declared_on": "2026-06-02", "iban": "FR76"}"#,
            r#"{"version": 1, "accounts_found": false}"#,
            r#"{"accounts_found": false, "declared_on": "2026-06-02"}"#,
            r#"{"version": 1, "accounts_found": "non", "declared_on": "2026-06-02"}"#,
            r#"{"version": 1, "accounts_found": false, "declared_on": "02/06/2026"}"#,
            r#"{"version": 1, "accounts_found": false, "declared_on": "2026-02-30"}"#,
            r#"{"version": 1, "accounts_found": false, "declared_on": "2026-06-02", "remark": 3}"#,
            r#"{"version": 1, "accounts_found": true, "declared_on": "2026-06-02",
                "accounts": [{"kind": "compte", "balance_cents": -500, "currency": "eur"}]}"#,
            r#"{"version": 1, "accounts_found": true, "declared_on": "2026-06-02",
                "accounts": [{"kind": "compte", "balance_cents": -500, "currency": "EURO"}]}"#,
            r#"{"version": 1, "accounts_found": true, "declared_on": "2026-06-02",
                "accounts": [{"kind": "", "balance_cents": 0, "currency": "EUR"}]}"#,
            r#"{"version": 1, "accounts_found": true, "declared_on": "2026-06-02",
                "accounts": [{"kind": "compte", "currency": "EUR"}]}"#,
            r#"{"version": 1, "accounts_found": true, "declared_on": "2026-06-02",
                "accounts": [{"kind": "compte", "balance_cents": "10", "currency": "EUR"}]}"#,
            r#"{"version": 1, "accounts_found": true, "declared_on": "2026-06-02",
                "accounts": [{"kind": "compte", "balance_cents": 10, "currency": "EUR", "bic": "X"}]}"#,
            r#"[]"#,
            r#""réponse""#,
        ];
        let dir = tempfile::tempdir().unwrap();
        let schema = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../resources/schemas/reponse_banque.schema.json"
        );
        let mut files = Vec::new();
        for (i, v) in variants.iter().enumerate() {
            let f = dir.path().join(format!("{i}.json"));
            std::fs::write(&f, v).unwrap();
            files.push(f);
        }
        let script = [
            "import json, sys, jsonschema",
            "schema = json.load(open(sys.argv[1]))",
            "jsonschema.Draft202012Validator.check_schema(schema)",
            "v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())",
            "for f in sys.argv[2:]:",
            "    print('ok' if v.is_valid(json.load(open(f))) else 'refused')",
        ]
        .join("\n");
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(schema)
            .args(&files)
            .output()
            .expect("python3 (with python3-jsonschema, installed by cargo xtask setup)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Vec<bool> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l == "ok")
            .collect();
        assert_eq!(theirs.len(), variants.len());
        assert!(theirs[0] && !theirs[3], "the oracle tells good from bad");
        for (i, v) in variants.iter().enumerate() {
            let ours = check_answer(v.as_bytes(), 1 << 20).is_ok();
            assert_eq!(ours, theirs[i], "variant {i}: {v}");
        }
    }
}
