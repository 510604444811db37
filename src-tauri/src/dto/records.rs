//! The dashboard, the search, a service's detail, downloads and the plain letter.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

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
    /// The order of the results over every match (absent: most recent first).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub sort: Option<SearchSort>,
}

/// The column search results are sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SearchSortKey {
    /// Time of service.
    Date,
    /// Reference.
    Reference,
    /// Recipient's name.
    Recipient,
    /// Delivery state (in the order of its French labels).
    State,
}

/// The order of search results, applied by the store to every match before paging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SearchSort {
    /// The column.
    pub key: SearchSortKey,
    /// Largest first (most recent date, Z to A).
    pub descending: bool,
}

impl From<SearchSort> for sceau_app::SearchSort {
    fn from(s: SearchSort) -> Self {
        sceau_app::SearchSort {
            key: match s.key {
                SearchSortKey::Date => sceau_app::SortKey::Date,
                SearchSortKey::Reference => sceau_app::SortKey::Reference,
                SearchSortKey::Recipient => sceau_app::SortKey::Recipient,
                SearchSortKey::State => sceau_app::SortKey::State,
            },
            descending: s.descending,
        }
    }
}

/// One page of search results, with their total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SearchPage {
    /// Rows of this page.
    pub items: Vec<ServiceSummary>,
    /// Another page follows.
    pub has_more: bool,
    /// How many services match, on the first page (offset 0) when it is known; null on the
    /// other pages and when a filter leaves too many services to count.
    #[ts(type = "number | null")]
    pub total: Option<u64>,
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
    /// The URL the window's viewer loads it from (Tauri's asset protocol).
    pub url: String,
}

/// The plain letter for a delivery "à domicile".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlainLetter {
    /// Where the draft was written.
    pub path: String,
    /// Date the letter must bear.
    pub dated: String,
}

impl From<Category> for sceau_app::NotificationCategory {
    fn from(c: Category) -> Self {
        match c {
            Category::AwaitingConsultation => Self::AwaitingConsultation,
            Category::InPerson => Self::DeliveredInPerson,
            Category::AtHome => Self::DeliveredAtHome,
            Category::Returns => Self::ReturnAwaitingConsultation,
        }
    }
}

impl SavedFile {
    /// The file at `path`, with the URL the viewer loads it from.
    pub fn at(path: &std::path::Path) -> SavedFile {
        SavedFile {
            path: path.display().to_string(),
            url: super::asset_url(path),
        }
    }
}

impl From<sceau_app::Saved> for SavedFile {
    fn from(s: sceau_app::Saved) -> Self {
        SavedFile::at(&s.path)
    }
}

/// A file the window saved (`save_as`, `reveal`, `open_external`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PathRequest {
    /// Its path, as the window was given it.
    pub path: String,
}

/// `save_text` request: a text made by the window (a CSV export).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SaveTextRequest {
    /// The file's name (cleaned by the shell).
    pub file_name: String,
    /// Its contents.
    pub contents: String,
}

impl From<&sceau_app::FiledSection> for FiledSection {
    fn from(f: &sceau_app::FiledSection) -> Self {
        FiledSection {
            at: f.at,
            file_name: f.file_name.clone(),
            state: f.state.clone(),
        }
    }
}
