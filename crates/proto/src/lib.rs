//! Request and response types of the vault API (`/v1/...`), shared by the vault server, its
//! clients (the desktop application, the CLI) and the UI, so that the two sides cannot drift.
//!
//! Every error leaves the server as an [`ErrorBody`]: a stable machine `code` the client branches
//! on, and a French `message` it may show as is.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod recipient;
pub use recipient::{BankAct, BankActList, ReturnReceipt, ReturnUpload};

/// HTTP header carrying the idempotency key of a deposit.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// HTTP header carrying the SHA-256 of the uploaded package, lower-case hex.
pub const CONTENT_SHA256_HEADER: &str = "x-content-sha256";
/// Name of the manifest inside a deposit package.
pub const MANIFEST_NAME: &str = "manifest.json";
/// Name of the deposit attestation (the manual's name).
pub const ATTESTATION_NAME: &str = "attestation_depot.xml";

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable, machine-readable code (snake_case), e.g. `certificate_not_bound`.
    pub code: String,
    /// What happened and what to do, in French, fit to show to a clerk.
    pub message: String,
}

/// The details of a client certificate, as shown on first connection ("Déclaration de votre
/// certificat").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// Serial number, lower-case hex.
    pub serial_hex: String,
    /// Holder (subject common name).
    pub holder: String,
    /// Holder's function (subject title), e.g. "Commissaire de justice".
    pub function: Option<String>,
    /// Holder's organisation (the office).
    pub organization: Option<String>,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// SHA-256 of the certificate's DER, lower-case hex: what a binding confirms.
    pub fingerprint_sha256: String,
}

/// Answer of `GET /v1/session`: who the vault sees behind the client certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The client certificate.
    pub certificate: CertificateInfo,
    /// The office bound to it, if any (none: first connection, bind it).
    pub office: Option<Office>,
}

/// `POST /v1/session/bind`: binds the office's space to the certificate of this connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindRequest {
    /// The fingerprint shown to the user and confirmed by them; must be this connection's.
    pub confirm_fingerprint_sha256: String,
    /// Office number (numéro d'étude), e.g. `9991`; used when the office's space is created.
    pub office_number: String,
    /// Office name, used when the space is created.
    pub office_name: String,
}

/// An office (étude) and its space in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    /// Vault identifier of the office.
    pub id: String,
    /// Office number, first part of every file name.
    pub number: String,
    /// Office name.
    pub name: String,
}

/// What kind of recipient: the domain's type.
pub use sceau_core::ids::RecipientKind;

/// A recipient's card (fiche destinataire); also the window's type (its TypeScript is derived
/// here, not copied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Recipient {
    /// Vault identifier.
    pub id: String,
    /// Kind of recipient.
    pub kind: RecipientKind,
    /// Display name, e.g. "BANQUE TEST".
    pub name: String,
    /// SIRET (14 digits), for an establishment.
    pub siret: Option<String>,
    /// SIREN (9 digits), for a company.
    pub siren: Option<String>,
    /// NIR of a person, masked except its first characters.
    pub nir_masked: Option<String>,
    /// E-mail address for notifications.
    pub email: Option<String>,
    /// Landline.
    pub phone_fixed: Option<String>,
    /// Mobile phone (SMS).
    pub phone_mobile: Option<String>,
    /// The recipient's place (département or collectivité), when the vault knows it: its
    /// calendar and time zone govern the service (`sceau_core::place::governing_place`), and
    /// the workstation applies them offline too. Absent from older vaults' answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(as = "Option<String>", optional)]
    pub region: Option<sceau_core::region::Region>,
}

impl Recipient {
    /// How the card is named in a message to the office: its name, its identifier (a NIR
    /// masked) and its e-mail, e.g. `MARTIN Claire (N° INSEE 284************,
    /// claire@exemple.fr)`.
    pub fn label_fr(&self) -> String {
        let mut facts = Vec::new();
        if let Some(s) = &self.siret {
            facts.push(format!("SIRET {s}"));
        } else if let Some(s) = &self.siren {
            facts.push(format!("SIREN {s}"));
        }
        if let Some(n) = &self.nir_masked {
            facts.push(format!("N° INSEE {n}"));
        }
        if let Some(e) = &self.email {
            facts.push(e.clone());
        }
        if facts.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, facts.join(", "))
        }
    }
}

/// A page of recipients found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientList {
    /// Recipients found, by name.
    pub recipients: Vec<Recipient>,
}

/// `POST /v1/recipients`: a new recipient from the office (a person or a company), the
/// domain's type with its check ([`sceau_core::recipient::NewRecipient::check`]). The answer is
/// `201` with the new [`Recipient`] card, or a [`RecipientRefusal`].
pub use sceau_core::recipient::{Civility, NewCompany, NewPerson, NewRecipient, PostalAddress};

/// One problem of a refused new recipient (`sceau_core::recipient::RecipientProblem`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientProblemBody {
    /// Stable code, `recipient.<what>` (e.g. `recipient.bad_email`).
    pub code: String,
    /// The field concerned (`last_name`, `email`, `siret`…).
    pub field: String,
    /// What is wrong and what to do, in French.
    pub message: String,
}

/// A refused `POST /v1/recipients`: the `{code, message}` of every error, plus the problems of
/// the input (`422 recipient_invalid`) or the recipients the vault already has
/// (`409 recipient_duplicate`: same SIRET, same NIR, or same e-mail and birth date), so the
/// office uses the existing card instead of a second one. Nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientRefusal {
    /// `recipient_invalid` or `recipient_duplicate`.
    pub code: String,
    /// What happened and what to do, in French.
    pub message: String,
    /// Every problem of the input, in the order of the form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<RecipientProblemBody>,
    /// The existing recipients' cards (a person's NIR masked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub existing: Vec<Recipient>,
}

/// A nature of act from the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nature {
    /// Stable code, e.g. `SAISIE_ATTRIBUTION`.
    pub code: String,
    /// French label as in the manual.
    pub label: String,
    /// Whether the recipient is expected to answer (retour d'acte).
    pub return_expected: bool,
}

/// Answer of the reception-hours API: may an act of this nature be served now?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceptionStatus {
    /// Whether service is allowed now.
    pub open: bool,
    /// Stable reason code when closed (e.g. `sunday`, `outside_recipient_hours`).
    pub reason: Option<String>,
    /// French explanation when closed.
    pub message: Option<String>,
    /// Next time service is allowed, if known.
    pub next_opening: Option<DateTime<Utc>>,
    /// The IANA time zone of the place that governs the service (`America/Martinique`), in
    /// which a person reads the next opening; absent from older vaults (then Europe/Paris).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// How that zone is named in French when it is not Paris's (`heure de Martinique
    /// (America/Martinique)`), else null.
    #[serde(default)]
    pub zone_named: Option<String>,
}

/// A recipient's reception window for a nature of act (Europe/Paris wall-clock time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceptionWindow {
    /// ISO weekdays 1 (Monday) to 7 (Sunday) on which the window applies.
    pub weekdays: Vec<u8>,
    /// Opening, `HH:MM`.
    pub start: String,
    /// Closing, `HH:MM`.
    pub end: String,
}

/// A consent in the register (`GET /v1/recipients/{id}/consents`): the domain's type, with
/// instants and its natures always listed.
pub use sceau_core::consent::Consent;

/// `GET /v1/recipients/{id}/consents`: a recipient's consents in the register (in force or
/// not), so the workstation can refuse a service before signing and work offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentList {
    /// The consents, oldest first.
    pub consents: Vec<Consent>,
}

/// Where an office's invitation to electronic service stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    /// Sent; the recipient has not answered yet.
    Pending,
    /// The recipient consented on the portal: the consent is in the register.
    Accepted,
    /// The recipient refused electronic service.
    Refused,
    /// The office withdrew it before an answer.
    Withdrawn,
    /// Not answered in time.
    Expired,
    /// Too many wrong codes were typed: the link is locked.
    Locked,
}

impl InvitationState {
    /// Stable code (stored, and in the API).
    pub fn code(self) -> &'static str {
        match self {
            InvitationState::Pending => "pending",
            InvitationState::Accepted => "accepted",
            InvitationState::Refused => "refused",
            InvitationState::Withdrawn => "withdrawn",
            InvitationState::Expired => "expired",
            InvitationState::Locked => "locked",
        }
    }

    /// The state of a stored code.
    pub fn of_code(code: &str) -> Option<InvitationState> {
        [
            InvitationState::Pending,
            InvitationState::Accepted,
            InvitationState::Refused,
            InvitationState::Withdrawn,
            InvitationState::Expired,
            InvitationState::Locked,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    /// What the office is told, in French (recipient card, `sceau consent status`).
    pub fn label_fr(self) -> &'static str {
        match self {
            InvitationState::Pending => "Invitation envoyée, en attente de réponse",
            InvitationState::Accepted => "Consentement donné",
            InvitationState::Refused => {
                "Refusé par le destinataire : signifiez par un autre moyen (voie postale ou \
                 commissaire de justice)"
            }
            InvitationState::Withdrawn => "Invitation retirée par l'étude",
            InvitationState::Expired => "Invitation expirée sans réponse : renvoyez-la si besoin",
            InvitationState::Locked => {
                "Invitation bloquée (trop de codes erronés) : renvoyez-la pour un nouveau lien"
            }
        }
    }
}

/// `POST /v1/recipients/{id}/invitations`: the office invites the recipient to consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRequest {
    /// Natures of acts (catalogue codes) the consent would cover.
    pub natures: Vec<String>,
    /// Days the invitation may be answered (default 15, at most 60).
    #[serde(default)]
    pub days: Option<u32>,
    /// Months the consent would last once given; none: until revoked.
    #[serde(default)]
    pub consent_months: Option<u32>,
}

/// An office's invitation to electronic service, as the office sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Invitation {
    /// Id.
    pub id: String,
    /// The recipient invited.
    pub recipient_id: String,
    /// Natures of acts proposed.
    pub natures: Vec<String>,
    /// Where it stands.
    pub state: InvitationState,
    /// When it was (last) sent.
    #[ts(type = "string")]
    pub sent_at: DateTime<Utc>,
    /// Until when it may be answered.
    #[ts(type = "string")]
    pub expires_at: DateTime<Utc>,
    /// When the recipient answered, if they did.
    #[ts(type = "string | null")]
    pub answered_at: Option<DateTime<Utc>>,
    /// The consent entered, once accepted.
    pub consent_id: Option<String>,
    /// Months the consent lasts once given; none: until revoked.
    pub consent_months: Option<u32>,
}

/// `GET /v1/recipients/{id}/invitations`: the office's invitations for this recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationList {
    /// Newest first.
    pub invitations: Vec<Invitation>,
}

/// Where a deposit comes from (search criterion "Source"): the domain's type.
pub use sceau_core::delivery::Source;

/// One act of a deposit package: a signed PDF/A and its detached CAdES signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestDocument {
    /// File name of the act inside the package (also its name in the vault).
    pub file: String,
    /// File name of its detached signature (`.p7s`) inside the package.
    pub signature: String,
}

/// `manifest.json`, first entry of a deposit package (a ZIP of stored entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositManifest {
    /// The office's own reference for the deposit.
    pub reference: String,
    /// Recipient (vault identifier).
    pub recipient_id: String,
    /// Nature of the act (catalogue code).
    pub nature: String,
    /// Reference of a judge's permission to serve outside legal hours, if any.
    pub judge_permission: Option<String>,
    /// Where the deposit comes from.
    pub source: Source,
    /// The acts.
    pub documents: Vec<ManifestDocument>,
    /// File name of the XML data message with the act's essential elements.
    pub data_message: String,
    /// The office says it is in Alsace-Moselle (its configured calendar): the vault takes it as
    /// the office's place when the operator declared none, for a recipient of unknown place. It
    /// can only close more days (Good Friday, 26 December), never open one. Absent: `false`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub office_alsace_moselle: bool,
}

/// Answer to an accepted deposit (the same for every retry with the same idempotency key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositReceipt {
    /// Vault identifier of the deposit (service).
    pub deposit_id: String,
    /// Time of service (the vault's time), UTC.
    pub deposited_at: DateTime<Utc>,
    /// Name of the archive ZIP filed in the office's vault.
    pub archive_name: String,
    /// Path of the archive in the office's vault.
    pub archive_path: String,
    /// SHA-256 of the attestation, hex.
    pub attestation_sha256: String,
    /// Names of the acts as deposited in the recipient's vault.
    pub documents: Vec<String>,
}

/// Delivery state of a service: the domain's type.
pub use sceau_core::delivery::DeliveryState;

/// One event of the office's feed (also a line of a service's history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedEvent {
    /// Position in the vault's journal; the cursor for the next poll.
    pub seq: u64,
    /// The service concerned, if any.
    pub deposit_id: Option<String>,
    /// Event name (ETSI EN 319 522 where one fits).
    pub event: String,
    /// Event time, UTC.
    pub at: DateTime<Utc>,
    /// French message for the history table.
    pub message: String,
}

/// A page of the event feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedPage {
    /// Events after the cursor, oldest first.
    pub events: Vec<FeedEvent>,
    /// Cursor to pass as `after` on the next call.
    pub next_cursor: u64,
    /// The vault's newest journal checkpoint (its chain head sealed and time-stamped), published
    /// to every office so that a later rewriting of the journal contradicts a copy the office
    /// holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<JournalCheckpoint>,
}

/// A journal checkpoint: a statement naming a range of journal lines, the chain hash at its
/// end and the Merkle root (RFC 9162) of the range's line hashes, sealed by the vault's seal key
/// (detached CMS) and time-stamped by the vault's TSA (RFC 3161, over the statement).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalCheckpoint {
    /// The sealed statement (UTF-8 text, `key=value` lines; see `sceau_cades::proof`).
    pub statement: String,
    /// The seal: detached CMS SignedData over the statement (DER, base64).
    pub seal: String,
    /// RFC 3161 time-stamp token over the statement's SHA-256 (DER, base64).
    pub timestamp_token: String,
}

/// A checkpoint covering some lines of a proof bundle, with each line's inclusion path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoveringCheckpoint {
    /// The checkpoint.
    pub checkpoint: JournalCheckpoint,
    /// For each covered line of the bundle: its position and its inclusion path (hex hashes,
    /// from the leaf up) in the checkpoint's Merkle tree.
    pub inclusions: Vec<Inclusion>,
}

/// The inclusion path of one journal line in a checkpoint's Merkle tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inclusion {
    /// Journal position of the line.
    pub seq: i64,
    /// Sibling hashes from the leaf up (hex).
    pub path: Vec<String>,
}

/// A service as listed by search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSummary {
    /// Vault identifier of the deposit.
    pub deposit_id: String,
    /// Time of service, UTC.
    pub deposited_at: DateTime<Utc>,
    /// Delivery state.
    pub state: DeliveryState,
    /// The office's reference.
    pub reference: String,
    /// First deposited file.
    pub file: String,
    /// Recipient's name.
    pub recipient_name: String,
    /// Recipient id.
    pub recipient_id: String,
    /// Nature code.
    pub nature: String,
    /// Source.
    pub source: Source,
}

/// A page of search results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchPage {
    /// Results, newest first.
    pub results: Vec<ServiceSummary>,
    /// Number of results over all pages.
    pub total: u64,
}

/// Section 1 of the detail sheet: the act in the recipient's vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActSection {
    /// Reference of the request.
    pub reference: String,
    /// Deposit time, UTC.
    pub deposited_at: DateTime<Utc>,
    /// Documents served.
    pub documents: Vec<String>,
    /// Nature code.
    pub nature: String,
    /// Nature label.
    pub nature_label: String,
    /// Delivery state.
    pub state: DeliveryState,
    /// Recipient.
    pub recipient_name: String,
    /// Recipient SIRET, if any.
    pub recipient_siret: Option<String>,
}

/// Section 2: the deposit attestation in the office's vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationSection {
    /// Time of service, UTC.
    pub served_at: DateTime<Utc>,
    /// Archive ZIP name.
    pub archive_name: String,
    /// Path of the archive in the office's vault (for download).
    pub archive_path: String,
    /// XML name (`attestation_depot.xml`).
    pub xml_name: String,
}

/// Section 3 or 4: a PDF filed later in the office's vault (delivery notice, return).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiledSection {
    /// Time, UTC.
    pub at: DateTime<Utc>,
    /// PDF name.
    pub file_name: String,
    /// Path in the office's vault.
    pub path: String,
    /// State in French.
    pub state: String,
}

/// The detail sheet of a service: every section of the manual plus the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDetail {
    /// Vault identifier.
    pub deposit_id: String,
    /// 1. Act in the recipient's vault.
    pub act: ActSection,
    /// 2. Deposit attestation in the office's vault.
    pub attestation: AttestationSection,
    /// 3. Delivery notice, once there is one.
    pub delivery_notice: Option<FiledSection>,
    /// 4. Return of the act, once there is one.
    pub act_return: Option<FiledSection>,
    /// 5. History, oldest first.
    pub history: Vec<FeedEvent>,
}

/// A file or folder of the office's vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultEntry {
    /// Path from the root, `/`-separated, no leading slash.
    pub path: String,
    /// Whether it is a folder.
    pub is_folder: bool,
    /// Size in bytes (0 for a folder).
    pub size: u64,
    /// Last change, UTC.
    pub modified: DateTime<Utc>,
    /// SHA-256 of the content, hex (files only).
    pub sha256: Option<String>,
    /// End of the retention period, if any: set by the vault on a service's archive, or by the
    /// office ([`VaultPropertiesRequest`]); nothing at or below a retained entry is deleted
    /// before it ([`VaultEntry::retained_at`]).
    pub retained_until: Option<DateTime<Utc>>,
    /// The service the file belongs to, if any.
    pub deposit_id: Option<String>,
    /// The office's free description ([`check_description`]); absent from older vaults.
    #[serde(default)]
    pub description: Option<String>,
}

impl VaultEntry {
    /// A new, empty folder at `path`.
    pub fn folder(path: impl Into<String>, modified: DateTime<Utc>) -> Self {
        VaultEntry {
            path: path.into(),
            is_folder: true,
            size: 0,
            modified,
            sha256: None,
            retained_until: None,
            deposit_id: None,
            description: None,
        }
    }

    /// Whether this entry is still within its retention period at `now`.
    pub fn retained_at(&self, now: DateTime<Utc>) -> bool {
        self.retained_until.is_some_and(|r| r > now)
    }
}

/// Longest description of a vault entry, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 500;

/// Why a description is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescriptionProblem {
    /// More than [`DESCRIPTION_MAX_CHARS`] characters.
    TooLong,
    /// A control character other than a line feed.
    ControlCharacter,
}

impl DescriptionProblem {
    /// What to do, in French.
    pub fn message_fr(self) -> String {
        match self {
            DescriptionProblem::TooLong => format!(
                "la description dépasse {DESCRIPTION_MAX_CHARS} caractères : raccourcissez-la"
            ),
            DescriptionProblem::ControlCharacter => {
                "la description contient un caractère de contrôle (seuls les retours à la ligne \
                 sont acceptés) : retirez-le"
                    .into()
            }
        }
    }
}

/// Checks a description of a vault entry: at most [`DESCRIPTION_MAX_CHARS`] characters, no
/// control character but the line feed.
pub fn check_description(text: &str) -> Result<(), DescriptionProblem> {
    if text.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(DescriptionProblem::TooLong);
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(DescriptionProblem::ControlCharacter);
    }
    Ok(())
}

/// `PATCH /v1/vault/properties`: what the office sets on one of its files or folders. A field
/// left out is left as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultPropertiesRequest {
    /// The entry.
    pub path: String,
    /// The new description ([`check_description`]); empty: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Keep the entry until the end of this day (Europe/Paris): a first retention, or a later
    /// end than the current one; never earlier, never in the past.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain_until: Option<chrono::NaiveDate>,
}

/// A folder listing with the space used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultListing {
    /// Entries directly under the folder.
    pub entries: Vec<VaultEntry>,
    /// Bytes used by the whole office vault.
    pub space_used: u64,
}

/// `POST /v1/vault/move`: move or rename a file or folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveRequest {
    /// Current path.
    pub from: String,
    /// New path.
    pub to: String,
}

/// `POST /v1/vault/folders`: create a folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MkdirRequest {
    /// Path of the new folder.
    pub path: String,
}

/// One journal line of a proof bundle, as stored by the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofLine {
    /// Position in the journal.
    pub seq: i64,
    /// Chain hash before this line (hex).
    pub prev_hash: String,
    /// Canonical evidence record (hex).
    pub record: String,
    /// Chain hash after this line (hex).
    pub hash: String,
}

/// `GET /v1/vault/proof?path=`: everything needed to check a file of the office vault offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofBundle {
    /// Path of the file in the office vault.
    pub path: String,
    /// SHA-256 of the file (hex).
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Service the file belongs to.
    pub deposit_id: Option<String>,
    /// The journal lines of that service, each with the hash before it.
    pub journal: Vec<ProofLine>,
    /// RFC 3161 time-stamp token (DER, base64) over the file's SHA-256 by the vault's TSA.
    pub timestamp_token: String,
    /// The vault CA certificate (PEM) anchoring the vault's seal and time-stamps.
    pub vault_ca_pem: String,
    /// The checkpoints covering the journal lines (every line is in one of them).
    #[serde(default)]
    pub checkpoints: Vec<CoveringCheckpoint>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn error_body_is_code_and_message() {
        let body = ErrorBody {
            code: "certificate_not_bound".into(),
            message: "x".into(),
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"code":"certificate_not_bound","message":"x"}"#
        );
    }

    #[test]
    fn enums_are_snake_case() {
        assert_eq!(
            serde_json::to_string(&DeliveryState::AwaitingConsultation).unwrap(),
            r#""awaiting_consultation""#
        );
        assert_eq!(serde_json::to_string(&Source::Edi).unwrap(), r#""edi""#);
    }

    #[test]
    fn descriptions_are_bounded_and_plain() {
        assert_eq!(check_description("Dossier Martin\nà relancer"), Ok(()));
        assert_eq!(
            check_description(&"é".repeat(DESCRIPTION_MAX_CHARS)),
            Ok(())
        );
        assert_eq!(
            check_description(&"é".repeat(DESCRIPTION_MAX_CHARS + 1)),
            Err(DescriptionProblem::TooLong)
        );
        for bad in ["a\tb", "a\rb", "a\u{7}b", "a\u{85}b"] {
            assert_eq!(
                check_description(bad),
                Err(DescriptionProblem::ControlCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn retention_and_description_cross_the_wire() {
        let t = DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut e = VaultEntry::folder("A", t);
        assert!(!e.retained_at(t));
        e.retained_until = Some(t);
        assert!(!e.retained_at(t), "the end instant is no longer retained");
        assert!(e.retained_at(t - chrono::Duration::seconds(1)));
        // An older vault's answer, without a description, still reads.
        let mut v = serde_json::to_value(&e).unwrap();
        v.as_object_mut().unwrap().remove("description");
        assert_eq!(serde_json::from_value::<VaultEntry>(v).unwrap(), e);
        let req = VaultPropertiesRequest {
            path: "A".into(),
            ..Default::default()
        };
        assert_eq!(serde_json::to_string(&req).unwrap(), r#"{"path":"A"}"#);
    }
}
