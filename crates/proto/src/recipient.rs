//! The recipient side of the API: the bank API (`/v1/bank/...`, mutual TLS with the bank's
//! certificate).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One act served on the bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAct {
    /// Deposit id.
    pub deposit_id: String,
    /// Time of service (UTC).
    pub deposited_at: DateTime<Utc>,
    /// Nature code.
    pub nature: String,
    /// Nature label (French).
    pub nature_label: String,
    /// The office's reference.
    pub reference: String,
    /// The acts (file names), downloadable one by one.
    pub documents: Vec<String>,
    /// First consultation, if any.
    pub consulted_at: Option<DateTime<Utc>>,
    /// Whether the nature expects a return.
    pub return_expected: bool,
    /// Whether a return was deposited.
    pub returned: bool,
}

/// `GET /v1/bank/acts[?all=true]`: new (not consulted) acts, or all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankActList {
    /// Acts, newest first.
    pub acts: Vec<BankAct>,
}

/// `PUT /v1/bank/acts/{id}/return`: a return, PDF in base64 with an optional structured answer
/// (`resources/schemas/reponse_banque.schema.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnUpload {
    /// The PDF, base64 (standard alphabet).
    pub pdf_base64: String,
    /// The structured answer.
    #[serde(default)]
    pub answer: Option<serde_json::Value>,
}

/// The receipt of a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnReceipt {
    /// File name in the office's vault (`<act>_<NATURE>.pdf`).
    pub name: String,
    /// When the vault received it.
    pub deposited_at: DateTime<Utc>,
}
