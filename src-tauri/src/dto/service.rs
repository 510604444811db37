//! Recipients, natures, reception, a service and an EDI batch.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

// A recipient's card and its kind travel as the vault gives them (`sceau-proto`'s `Recipient`,
// `sceau-core`'s `RecipientKind`, which derive their TypeScript): SIREN and both phones as they
// are, nothing guessed here.
pub use sceau_app::{Recipient, RecipientKind, Refusal};

/// How the recipient is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RecipientSearchMode {
    /// SIRET or SIREN.
    Siret,
    /// Name.
    Name,
    /// NIR (numéro INSEE).
    Insee,
}

/// Recipient search request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RecipientQuery {
    /// Criterion kind.
    pub mode: RecipientSearchMode,
    /// What was typed.
    pub query: String,
}

/// A nature of act from the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Nature {
    /// Catalogue code.
    pub code: String,
    /// French label.
    pub label: String,
    /// The recipient may deposit a return.
    pub return_expected: bool,
}

/// Whether the recipient accepts this nature now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReceptionStatus {
    /// Serving is allowed now.
    pub open: bool,
    /// Why not, when closed.
    pub reason: Option<Refusal>,
    /// French explanation when closed, without the next opening (the window writes it from
    /// `next_opening` in the user's date style).
    pub message: Option<String>,
    /// Next opening, when known.
    pub next_opening: Option<DateTime<Utc>>,
    /// The IANA time zone the next opening is read in (the recipient's place, else the
    /// office's: `America/Martinique`), `Europe/Paris` in metropolitan France.
    pub time_zone: String,
    /// How that zone is named when it is not Paris's (`heure de Martinique
    /// (America/Martinique)`), shown beside the next opening.
    pub zone_named: Option<String>,
}

impl From<sceau_app::Reception> for ReceptionStatus {
    fn from(r: sceau_app::Reception) -> Self {
        ReceptionStatus {
            open: r.open,
            reason: r.refusal,
            message: r.explanation,
            next_opening: r.next_opening,
            time_zone: r.time_zone,
            zone_named: r.zone_named,
        }
    }
}

/// Service request.
#[derive(Clone, Serialize, Deserialize, TS)]
pub struct SignifyRequest {
    /// Office's deposit reference.
    pub reference: String,
    /// Requesting party: on whose behalf the act is served (printed on the plain letter).
    pub requerant: String,
    /// Recipient (vault identifier).
    pub recipient_id: String,
    /// Nature code.
    pub nature: String,
    /// Paths of the acts.
    pub documents: Vec<String>,
    /// Serial of the qualified signature certificate.
    pub signature_certificate: String,
    /// Serial of the authentication certificate.
    pub authentication_certificate: String,
    /// Signature PIN, for this call only.
    pub pin: String,
    /// Consent to spend the final PIN try.
    pub confirm_final_try: bool,
    /// Reference of a judge's permission to serve outside legal hours.
    pub judge_permission: Option<String>,
    /// Prepare now and deposit at the recipient's next opening.
    pub schedule_at_next_opening: bool,
}

impl std::fmt::Debug for SignifyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignifyRequest")
            .field("reference", &self.reference)
            .field("nature", &self.nature)
            .field("documents", &self.documents.len())
            .finish_non_exhaustive()
    }
}

/// A converted act ready for preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PreviewDocument {
    /// Name of the converted PDF/A.
    pub name: String,
    /// URL the window can load (Tauri asset protocol).
    pub url: String,
}

/// Live state of a step. `queued`: the package waits in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Not started.
    Pending,
    /// Running.
    Running,
    /// Done.
    Done,
    /// Failed.
    Failed,
    /// Waiting in the outbox.
    Queued,
}

/// Progress event of a service, emitted on the `signify_step` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StepEvent {
    /// Job the event belongs to (chosen by the caller of `signify`).
    pub job_id: String,
    /// Which step, 1 to 6.
    #[ts(type = "1 | 2 | 3 | 4 | 5 | 6")]
    pub step: u8,
    /// New state (never `pending`).
    #[ts(type = "Exclude<StepStatus, \"pending\">")]
    pub status: StepStatus,
    /// French reason when failed or queued.
    pub reason: Option<String>,
}

/// Outcome state of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SignifyState {
    /// Deposited (step 6 done).
    Deposited,
    /// Waiting in the outbox.
    Queued,
}

/// Outcome of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SignifyResult {
    /// Local service id.
    pub service_id: String,
    /// Deposited or queued.
    pub state: SignifyState,
    /// Time of service, when deposited.
    pub deposited_at: Option<DateTime<Utc>>,
    /// Archive name in the office's vault, when deposited.
    pub archive_name: Option<String>,
}

/// `edi_import` request: the manifest chosen in the dialog and the signature PIN.
#[derive(Clone, Serialize, Deserialize, TS)]
pub struct EdiImportRequest {
    /// Path of the manifest (CSV); its files are relative to its folder.
    pub manifest: String,
    /// Signature PIN, for this call only (one PIN for the whole batch).
    pub pin: String,
    /// Consent to spend the final PIN try.
    pub confirm_final_try: bool,
    /// Stamp the consent mention on acts that lack it instead of refusing their lines.
    pub stamp_consent: bool,
    /// Serial of the qualified signature certificate for the whole batch ("" = the key's only
    /// signature certificate).
    pub signature_certificate: String,
}

impl std::fmt::Debug for EdiImportRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdiImportRequest")
            .field("stamp_consent", &self.stamp_consent)
            .field("signature_certificate", &self.signature_certificate)
            .finish_non_exhaustive()
    }
}

/// Where a line of an EDI batch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EdiStage {
    /// The line passed every check.
    Checked,
    /// The line is refused (the batch signs nothing).
    Refused,
    /// Queued by an earlier import of the same batch.
    AlreadyPrepared,
    /// Its documents are converted to PDF/A-1b.
    Converted,
    /// Signed and queued in the outbox.
    Signed,
    /// Deposited in the recipient's vault.
    Deposited,
}

/// Progress event of an EDI import, emitted on the `edi_progress` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EdiProgress {
    /// Job the event belongs to (chosen by the caller of `edi_import`).
    pub job_id: String,
    /// Line number in the manifest (0 when only the reference is known: deposits).
    pub line: u32,
    /// The line's reference.
    pub reference: String,
    /// New stage.
    pub stage: EdiStage,
    /// French reason when refused.
    pub reason: Option<String>,
}

/// A refused line of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EdiRefusedLine {
    /// Line number in the manifest (the header is line 1).
    pub line: u32,
    /// Stable code, `edi.<what>`.
    pub code: String,
    /// What is wrong and what to do, in French.
    pub message: String,
}

/// Outcome of an EDI import: refused (every bad line, nothing signed) or prepared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EdiImportResult {
    /// Lines in the manifest (0 when the manifest itself is unreadable).
    pub lines: u32,
    /// Refused lines; when not empty, nothing of the batch was signed.
    pub refused: Vec<EdiRefusedLine>,
    /// Lines signed and queued by this import.
    pub prepared: u32,
    /// Lines queued by an earlier import of the same batch.
    pub already_prepared: u32,
    /// Lines of this batch deposited now.
    pub deposited: u32,
    /// Lines of this batch waiting in the outbox.
    pub queued: u32,
    /// Why some wait in the outbox, in French.
    pub queued_reason: Option<String>,
}

/// One act as the recap before "Signifier" shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DocumentFacts {
    /// The file's path.
    pub path: String,
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// Its pages, for a readable PDF.
    pub pages: Option<u32>,
}

impl From<sceau_app::DocumentFacts> for DocumentFacts {
    fn from(f: sceau_app::DocumentFacts) -> Self {
        DocumentFacts {
            path: f.path.display().to_string(),
            name: f.name,
            size: f.size,
            pages: f.pages,
        }
    }
}
