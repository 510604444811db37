//! Request and response types of the commands: the window's contract, declared once here and
//! generated to TypeScript with ts-rs into `ui/src/generated/bindings.ts` (committed; the test
//! `generated_bindings_are_current` fails when they differ). Domain types are converted to these
//! at the boundary (`commands.rs`), so the UI's names stay stable when the app's types move.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An error as every command reports it: a stable code to branch on and a French sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ApiError {
    /// Stable machine-readable code, e.g. `token.wrong_pin`.
    pub code: String,
    /// French message: what happened and what to do.
    pub message: String,
}

/// Role of a certificate on the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CertificateRole {
    /// Qualified signature.
    Signature,
    /// Authentication to the vault.
    Authentication,
    /// Anything else.
    Other,
}

/// A certificate as shown in the choice lists and in the first-connection declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CertificateInfo {
    /// Serial number, hexadecimal.
    pub serial: String,
    /// Holder (subject common name).
    pub holder: String,
    /// Holder's function, when the certificate names one.
    pub function: Option<String>,
    /// Issuer.
    pub issuer: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// What the certificate is for.
    pub role: CertificateRole,
}

/// PIN state of a token, read from its flags before every login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PinState {
    /// Tries left when the token tells it (PKCS#11 only gives flags: null).
    pub tries_left: Option<u32>,
    /// A wrong PIN was typed since the last success.
    pub count_low: bool,
    /// The next wrong PIN locks the key.
    pub final_try: bool,
    /// The PIN is locked.
    pub locked: bool,
}

/// One plugged key (token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TokenInfo {
    /// Token serial number.
    pub serial: String,
    /// Token label.
    pub label: String,
    /// PIN state.
    pub pin: PinState,
    /// Certificates found on the key.
    pub certificates: Vec<CertificateInfo>,
}

/// Whether the PKCS#11 module could be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ModuleState {
    /// Loaded.
    Ok,
    /// Not found, or it failed to load.
    Missing,
}

/// Result of key detection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TokenStatus {
    /// Module state.
    pub module: ModuleState,
    /// Path of the module in use (or the one that failed).
    pub module_path: Option<String>,
    /// Plugged keys.
    pub tokens: Vec<TokenInfo>,
}

/// Login request. The PIN lives only for this call.
#[derive(Clone, Serialize, Deserialize, TS)]
pub struct ConnectRequest {
    /// Serial of the token.
    pub token_serial: String,
    /// Serial of the authentication certificate.
    pub certificate_serial: String,
    /// PIN as typed.
    pub pin: String,
    /// Explicit consent to spend the final PIN try.
    pub confirm_final_try: bool,
}

impl std::fmt::Debug for ConnectRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectRequest")
            .field("token_serial", &self.token_serial)
            .finish_non_exhaustive()
    }
}

/// The office bound to a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Office {
    /// Office number (numéro d'étude).
    pub number: String,
    /// Office name.
    pub name: String,
}

/// A logged-in session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Session {
    /// Authentication certificate in use.
    pub certificate: CertificateInfo,
    /// The office's space, or null on a first connection.
    pub office: Option<Office>,
}

/// First-connection binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BindRequest {
    /// Office number (numéro d'étude).
    pub office_number: String,
    /// Office name.
    pub office_name: String,
}

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
}

impl From<sceau_app::Reception> for ReceptionStatus {
    fn from(r: sceau_app::Reception) -> Self {
        ReceptionStatus {
            open: r.open,
            reason: r.refusal,
            message: r.explanation,
            next_opening: r.next_opening,
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

/// The four dashboard categories of unseen notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Awaiting consultation.
    AwaitingConsultation,
    /// Delivered in person.
    InPerson,
    /// Delivered at home.
    AtHome,
    /// Returns.
    Returns,
}

/// Unseen counts per category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DashboardCounts {
    /// Awaiting consultation by the recipient.
    #[ts(type = "number")]
    pub awaiting_consultation: u64,
    /// Delivered in person.
    #[ts(type = "number")]
    pub in_person: u64,
    /// Delivered at home.
    #[ts(type = "number")]
    pub at_home: u64,
    /// Returns awaiting consultation.
    #[ts(type = "number")]
    pub returns: u64,
}

/// One page request of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PageRequest {
    /// Rows to skip.
    pub offset: u32,
    /// Rows wanted (10 on screen).
    pub limit: u32,
}

/// One page of a list; no total (a total costs a full count).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Page<T> {
    /// Rows of this page.
    pub items: Vec<T>,
    /// Another page follows.
    pub has_more: bool,
}

/// `dashboard_page` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DashboardPageRequest {
    /// Category.
    pub category: Category,
    /// Free filter (reference, recipient or file prefix).
    pub filter: String,
    /// Rows to skip.
    pub offset: u32,
    /// Rows wanted.
    pub limit: u32,
}

/// One dashboard notification row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NotificationRow {
    /// Notification id (for mark_seen).
    pub id: String,
    /// Service id (for the detail).
    pub service_id: String,
    /// Deposit reference.
    pub reference: String,
    /// Event time.
    pub date: DateTime<Utc>,
    /// File name.
    pub file: String,
    /// Recipient name.
    pub recipient: String,
    /// Event label (French).
    pub event: String,
}

// The delivery state and the source travel as the domain defines them (`sceau-core`, which
// derives their TypeScript): no copy here to drift.
pub use sceau_app::{DeliveryState, Source};

/// Search criteria; every field optional. Dates are calendar days `yyyy-mm-dd`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SearchCriteria {
    /// First service day, inclusive.
    pub date_from: Option<String>,
    /// Last service day, inclusive.
    pub date_to: Option<String>,
    /// Delivery state.
    pub state: Option<DeliveryState>,
    /// Reference prefix.
    pub reference: Option<String>,
    /// Document name prefix.
    pub document: Option<String>,
    /// Recipient name prefix.
    pub recipient: Option<String>,
    /// Nature code.
    pub nature: Option<String>,
    /// Source.
    pub source: Option<Source>,
    /// Free filter over the results.
    pub filter: Option<String>,
}

/// `search_services` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SearchRequest {
    /// Criteria.
    pub criteria: SearchCriteria,
    /// Rows to skip.
    pub offset: u32,
    /// Rows wanted.
    pub limit: u32,
}

/// One search result row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ServiceSummary {
    /// Service id.
    pub service_id: String,
    /// Deposit time.
    pub deposited_at: DateTime<Utc>,
    /// Delivery state.
    pub state: DeliveryState,
    /// Deposit reference.
    pub reference: String,
    /// Deposited file name.
    pub file: String,
    /// Recipient name.
    pub recipient: String,
    /// Nature label.
    pub nature: String,
    /// Source.
    pub source: Source,
}

/// Section 1: the act in the recipient's vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ActSection {
    /// Deposit reference.
    pub reference: String,
    /// Deposit time.
    pub deposited_at: DateTime<Utc>,
    /// Deposited file names.
    pub documents: Vec<String>,
    /// Nature label.
    pub nature: String,
    /// Delivery state.
    pub state: DeliveryState,
    /// Recipient name.
    pub recipient: String,
    /// Recipient SIRET.
    pub recipient_siret: Option<String>,
}

/// Section 2: the deposit attestation in the office's vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AttestationSection {
    /// Time of service.
    pub served_at: DateTime<Utc>,
    /// ZIP archive name.
    pub archive_name: String,
    /// Attestation XML name.
    pub xml_name: String,
}

/// Sections 3 and 4: a PDF filed in the office's vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FiledSection {
    /// Filing time.
    pub at: DateTime<Utc>,
    /// PDF name.
    pub file_name: String,
    /// State sentence (French).
    pub state: String,
}

/// One history line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HistoryLine {
    /// Event time.
    pub at: DateTime<Utc>,
    /// French message.
    pub message: String,
}

/// The detail sheet of a service: five sections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ServiceDetail {
    /// Service id.
    pub service_id: String,
    /// Section 1.
    pub act: ActSection,
    /// Section 2 (null while the deposit waits in the outbox).
    pub attestation: Option<AttestationSection>,
    /// Section 3.
    pub delivery_notice: Option<FiledSection>,
    /// Section 4.
    pub act_return: Option<FiledSection>,
    /// Section 5.
    pub history: Vec<HistoryLine>,
    /// The dashboard notification is still unseen.
    pub unseen: bool,
}

/// What to download from a detail sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DownloadKind {
    /// The ZIP archive (signed acts and attestation).
    Archive,
    /// The delivery notice.
    DeliveryNotice,
    /// The recipient's return.
    Return,
}

/// Where a file was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SavedFile {
    /// Absolute path written.
    pub path: String,
}

/// The plain letter for a delivery "à domicile".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlainLetter {
    /// Where the draft was written.
    pub path: String,
    /// Date the letter must bear.
    pub dated: String,
}

/// One entry of the office's vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VaultEntry {
    /// Full path inside the vault, no leading slash.
    pub path: String,
    /// A folder.
    pub is_folder: bool,
    /// Size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// Last change.
    pub modified: DateTime<Utc>,
    /// An archived service may not be deleted before this time.
    pub retained_until: Option<DateTime<Utc>>,
}

/// Space used in the office's vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VaultUsage {
    /// Bytes used.
    #[ts(type = "number")]
    pub used: u64,
    /// Quota in bytes, when there is one.
    #[ts(type = "number | null")]
    pub quota: Option<u64>,
}

/// State of an outbox entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Ready to send.
    Prepared,
    /// Being sent.
    Uploading,
    /// Refused by the vault.
    Failed,
}

/// One package waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OutboxItem {
    /// Outbox id.
    pub id: String,
    /// Deposit reference.
    pub reference: String,
    /// Recipient name.
    pub recipient: String,
    /// State.
    pub state: OutboxState,
    /// Preparation time.
    pub prepared_at: DateTime<Utc>,
    /// Why the last attempt failed (French).
    pub last_error: Option<String>,
}

/// Outbox and connectivity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OutboxStatus {
    /// The vault answered recently.
    pub online: bool,
    /// Packages waiting.
    pub items: Vec<OutboxItem>,
}

/// How dates are written on screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DateStyle {
    /// 22/11/2026.
    #[default]
    Numeric,
    /// 22 novembre 2026.
    Long,
}

impl From<sceau_app::DateStyle> for DateStyle {
    fn from(s: sceau_app::DateStyle) -> Self {
        match s {
            sceau_app::DateStyle::Numeric => DateStyle::Numeric,
            sceau_app::DateStyle::Long => DateStyle::Long,
        }
    }
}

impl From<DateStyle> for sceau_app::DateStyle {
    fn from(s: DateStyle) -> Self {
        match s {
            DateStyle::Numeric => sceau_app::DateStyle::Numeric,
            DateStyle::Long => sceau_app::DateStyle::Long,
        }
    }
}

/// User settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Settings {
    /// PKCS#11 module path; empty = automatic detection.
    pub pkcs11_module: String,
    /// Vault address (https://...).
    pub vault_url: String,
    /// Numeric or long dates.
    pub date_style: DateStyle,
    /// Alsace-Moselle public holidays.
    pub alsace_moselle: bool,
}

/// One line of the session history panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SessionLogEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// What was done (French).
    pub message: String,
}

/// `mark_seen` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MarkSeenRequest {
    /// Notification id.
    pub notification_id: String,
}

/// `reception_status` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReceptionRequest {
    /// Recipient id.
    pub recipient_id: String,
    /// Nature code.
    pub nature: String,
}

/// `preview_documents` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PreviewRequest {
    /// Paths of the acts.
    pub documents: Vec<String>,
}

/// A request naming one service (`service_detail`, `letter`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ServiceRequest {
    /// Service id.
    pub service_id: String,
}

/// `download` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DownloadRequest {
    /// Service id.
    pub service_id: String,
    /// What to save.
    pub kind: DownloadKind,
}

/// A request naming one vault path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VaultPathRequest {
    /// Path in the vault.
    pub path: String,
}

/// `vault_move` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VaultMoveRequest {
    /// Entry to move.
    pub from: String,
    /// Destination folder.
    pub to: String,
}

/// `vault_rename` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VaultRenameRequest {
    /// Entry to rename.
    pub path: String,
    /// New name (no `/`).
    pub new_name: String,
}

/// `vault_upload` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VaultUploadRequest {
    /// Destination folder.
    pub folder: String,
    /// Files of the workstation.
    pub paths: Vec<String>,
}

/// Progress of a "Transférer", emitted on the `vault_upload_progress` event: when a file
/// starts, then every MiB (1 % above 100 MiB) and at its last byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VaultUploadProgress {
    /// Job the event belongs to (chosen by the caller of `vault_upload`).
    pub job_id: String,
    /// The file's name on the workstation.
    pub name: String,
    /// Files of this transfer already in the vault.
    pub files_done: u32,
    /// Files of this transfer.
    pub files_total: u32,
    /// Bytes of this file sent so far.
    #[ts(type = "number")]
    pub sent: u64,
    /// This file's size in bytes.
    #[ts(type = "number")]
    pub total: u64,
}

/// The TypeScript declarations of every type above, in one file, as committed in
/// `ui/src/generated/bindings.ts`.
pub fn typescript() -> String {
    let mut out = String::from(
        "// Generated by ts-rs from src-tauri/src/dto.rs: do not edit. Regenerate with\n\
         // `cargo test -p sceau-desktop --features tauri/custom-protocol write_bindings -- --ignored`.\n",
    );
    macro_rules! decl {
        ($($t:ty),* $(,)?) => {$(
            out.push('\n');
            if let Some(d) = <$t as TS>::DOCS {
                out.push_str(d);
            }
            out.push_str("export ");
            out.push_str(&<$t as TS>::decl());
            out.push('\n');
        )*};
    }
    decl!(
        ApiError,
        CertificateRole,
        CertificateInfo,
        PinState,
        TokenInfo,
        ModuleState,
        TokenStatus,
        ConnectRequest,
        Office,
        Session,
        BindRequest,
        RecipientKind,
        Recipient,
        Refusal,
        RecipientSearchMode,
        RecipientQuery,
        Nature,
        ReceptionStatus,
        SignifyRequest,
        PreviewDocument,
        StepStatus,
        StepEvent,
        SignifyState,
        SignifyResult,
        EdiImportRequest,
        EdiStage,
        EdiProgress,
        EdiRefusedLine,
        EdiImportResult,
        Category,
        DashboardCounts,
        PageRequest,
        Page<()>,
        DashboardPageRequest,
        NotificationRow,
        DeliveryState,
        Source,
        SearchCriteria,
        SearchRequest,
        ServiceSummary,
        ActSection,
        AttestationSection,
        FiledSection,
        HistoryLine,
        ServiceDetail,
        DownloadKind,
        SavedFile,
        PlainLetter,
        VaultEntry,
        VaultUsage,
        OutboxState,
        OutboxItem,
        OutboxStatus,
        DateStyle,
        Settings,
        SessionLogEntry,
        MarkSeenRequest,
        ReceptionRequest,
        PreviewRequest,
        ServiceRequest,
        DownloadRequest,
        VaultPathRequest,
        VaultMoveRequest,
        VaultRenameRequest,
        VaultUploadRequest,
        VaultUploadProgress,
    );
    out
}

/// Where the generated file is committed, relative to the workspace root.
pub const BINDINGS_PATH: &str = "ui/src/generated/bindings.ts";

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn committed() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(BINDINGS_PATH)
    }

    /// The CI freshness check: the TypeScript regenerated into a temporary directory must be
    /// byte for byte the committed file. On failure, run the ignored `write_bindings` test.
    #[test]
    fn generated_bindings_are_current() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("bindings.ts");
        std::fs::write(&fresh, typescript()).unwrap();
        let fresh = std::fs::read_to_string(&fresh).unwrap();
        let committed = std::fs::read_to_string(committed()).unwrap_or_default();
        assert!(
            fresh == committed,
            "{BINDINGS_PATH} is stale: run `cargo test -p sceau-desktop write_bindings -- --ignored` \
             and commit the result"
        );
    }

    /// Writes the bindings into `ui/src/generated/` (run by hand, or by `cargo xtask test`
    /// never: the check above must fail on a stale file).
    #[test]
    #[ignore = "writes ui/src/generated/bindings.ts"]
    fn write_bindings() {
        let path = committed();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, typescript()).unwrap();
    }

    #[test]
    fn serde_names_are_those_of_the_front_end() {
        let e = StepEvent {
            job_id: "j".into(),
            step: 3,
            status: StepStatus::Queued,
            reason: None,
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"job_id":"j","step":3,"status":"queued","reason":null}"#
        );
        let s: Settings = serde_json::from_str(
            r#"{"pkcs11_module":"","vault_url":"https://v","date_style":"long","alsace_moselle":true}"#,
        )
        .unwrap();
        assert_eq!(s.date_style, DateStyle::Long);
        assert!(typescript().contains("export type DashboardCounts"));
    }
}
