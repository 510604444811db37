//! The office's vault, the outbox, the settings and the requests of those commands.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::DownloadKind;

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
    /// Neither it nor anything in it may be deleted before this time (an archived service's
    /// retention, set by the vault, or one the office set or extended).
    pub retained_until: Option<DateTime<Utc>>,
    /// The office's description (at most 500 characters).
    pub description: Option<String>,
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
    /// Minutes without use after which the window locks; 0 = never.
    pub lock_after_min: u32,
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

/// `vault_set_properties` request ("Éditer propriétés"): a field left `null` is left as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VaultPropertiesRequest {
    /// Entry.
    pub path: String,
    /// New description (empty: none).
    pub description: Option<String>,
    /// Keep until the end of this day, `YYYY-MM-DD` (never earlier than the current retention).
    #[ts(type = "string | null")]
    pub retain_until: Option<chrono::NaiveDate>,
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

impl From<sceau_app::VaultEntry> for VaultEntry {
    fn from(e: sceau_app::VaultEntry) -> Self {
        VaultEntry {
            path: e.path,
            is_folder: e.is_folder,
            size: e.size,
            modified: e.modified,
            retained_until: e.retained_until,
            description: e.description,
        }
    }
}
