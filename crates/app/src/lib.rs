//! The Sceau application service: every use case of the workstation — connect, recipients,
//! serve, outbox, sync, dashboard, search, detail, vault, plain letter — behind one async API
//! that the CLI, the tests and the desktop window call (DESIGN.md §5).
//!
//! An [`App`] owns the local store (one connection, serialised by a mutex: every store call is
//! short) and, lazily, the PKCS#11 module. The PIN is never kept by the app: each use case that
//! needs the key takes [`Credentials`] and drops them when it returns.

pub mod calendar;
mod config;
mod consent;
mod documents;
pub mod edi;
mod error;
pub mod folders;
mod history;
mod hooks;
pub mod letter;
mod office;
mod outbox;
mod pipeline;
mod progress;
mod recipients;
mod serve;
mod session;
mod signing;
mod stamp;
mod sync;
mod vault;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use sceau_client::{RecipientQuery, TlsVersions, TokenIdentity, VaultClient};
use sceau_store::{KeyStore, Store};
use sceau_token::{CertSelector, Role, Tokens};
pub use sceau_token::{CertificateInfo, FinalTry, Pin, TokenInfo, TokenSelector};
use serde::Serialize;

pub use config::{
    desktop_file, process_env, CliFlags, DateStyle, Face, ModuleSource, Resolved, Settings,
    DEFAULT_LOCK_AFTER_MIN, ENV_CONFIG, ENV_DATA_DIR, ENV_DESKTOP_SETTINGS, ENV_MODULE,
    ENV_VAULT_CA, ENV_VAULT_URL,
};
pub use consent::{ConsentOverview, InvitationAction};
pub use documents::{document_facts, DocumentFacts};
pub use edi::{EdiLineError, EdiReport, EdiRequest, EdiStage};
pub use error::{Error, Result};
pub use history::{history_file_name, render_history};
pub use hooks::{checkpoint, PAUSE_ENV};
pub use office::{
    download_file_name, letter_file_name, nature_label, paris_days, proof_file_name, renamed_path,
    vault_description, vault_path_in, Auth, Destination, Saved, SearchQuery, SearchRow,
    ServiceFile, TokenStatus,
};
pub use outbox::{OutboxReport, SentItem};
pub use progress::{ignore, Progress, ProgressSink, Step, StepStatus};
pub(crate) use recipients::{cache_of, view_of, view_of_cached};
pub use recipients::{parse_recipient_query, Reception, RecipientCard, RecipientView};
pub use serve::{ServeOptions, ServeOutcome, ServeRequest};
pub use session::SessionInfo;
pub use sync::SyncReport;
pub use vault::Transferred;

// The lower crates' types the faces need, so that they depend on this crate alone.
pub use sceau_core::consent::Consent;
pub use sceau_core::delivery::{DeliveryState, NotificationCategory};
pub use sceau_core::draft::{REFERENCE_MAX, REQUERANT_MAX};
pub use sceau_core::natures::Catalogue as NatureCatalogue;
pub use sceau_core::reception::Refusal;
pub use sceau_core::recipient::{
    Civility, Field as RecipientField, NewCompany, NewPerson, NewRecipient, PostalAddress,
    RecipientProblem,
};
pub use sceau_proto::{
    FiledSection, Invitation, InvitationState, ProofBundle, Recipient, RecipientKind, VaultEntry,
    VaultListing,
};
pub use sceau_store::{
    DashboardCounts, DashboardFilter, OutboxItem, OutboxRow, OutboxState, Page, SearchCriteria,
    SearchSort, Service, SessionEntry, SortKey, Source, PAGE_SIZE,
};

/// Settings key: the office number seen at the last connection (used offline).
const OFFICE_NUMBER: &str = "office.number";
/// Settings key: the office name seen at the last connection.
const OFFICE_NAME: &str = "office.name";
/// Settings key: the event feed's cursor.
const FEED_CURSOR: &str = "feed.cursor";
/// Settings key: the session started at the last connection (the session log's).
const SESSION: &str = "session.current";

/// Where the store's database key is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChoice {
    /// The OS credential store (the default).
    Os(sceau_store::KeyBackend),
    /// A plain file: only for tests and demos, never for an office's data.
    InsecureFileForTests(PathBuf),
}

impl KeyChoice {
    /// The choice from the settings: a test key file when one is named, otherwise the system's
    /// credential store named by `key_store` (or the system's default; an unknown or foreign
    /// name is an error, never replaced by another store).
    pub fn from_settings(
        insecure_file: Option<&std::path::Path>,
        key_store: Option<&str>,
    ) -> std::result::Result<Self, sceau_store::Error> {
        match insecure_file {
            Some(f) => Ok(KeyChoice::InsecureFileForTests(f.to_path_buf())),
            None => sceau_store::choose_key_backend(sceau_core::platform::Os::current(), key_store)
                .map(KeyChoice::Os),
        }
    }
}

/// The application's configuration, as [`Config::resolve`] finds it for either face.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Directory of the local store, the prepared packages and the downloaded attestations.
    pub data_dir: PathBuf,
    /// The vault's address, e.g. `https://coffre.example:8443`.
    pub vault_url: Option<String>,
    /// The vault's CA certificate (PEM or DER), pinned.
    pub vault_ca: Option<PathBuf>,
    /// The PKCS#11 module of the office's key.
    pub module: PathBuf,
    /// Which token, by label or serial, when several are plugged in.
    pub token: Option<String>,
    /// Where the store's key is kept.
    pub key: KeyChoice,
    /// The office applies the local law of Alsace-Moselle: Good Friday and 26 December are
    /// public holidays too (reception hours, next openings, the plain letter's date).
    pub alsace_moselle: bool,
}

impl Config {
    /// The office's place as this workstation knows it: Alsace-Moselle (`67`) when its
    /// calendar says so, else unknown (the vault's declaration is the office's real place).
    pub fn office_region(&self) -> Option<sceau_core::region::Region> {
        self.alsace_moselle
            .then(|| sceau_core::region::Region::from_code("67").ok())
            .flatten()
    }

    /// The office's calendar.
    pub fn calendar(&self) -> sceau_core::calendar::Calendar {
        sceau_core::calendar::Calendar {
            alsace_moselle: self.alsace_moselle,
        }
    }
}

/// The PIN for one operation, with the user's decision about a final try.
#[derive(Clone)]
pub struct Credentials {
    /// The PIN (zeroized on drop).
    pub pin: Pin,
    /// Whether a final try may be spent.
    pub final_try: FinalTry,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").finish_non_exhaustive()
    }
}

/// What `connect` found.
#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    /// The authentication certificate the vault saw.
    pub certificate: sceau_proto::CertificateInfo,
    /// The office bound to it.
    pub office: sceau_proto::Office,
    /// Whether this connection bound the certificate (first connection).
    pub bound_now: bool,
}

/// The office to create on first connection.
#[derive(Debug, Clone)]
pub struct NewOffice {
    /// Office number, e.g. `9991`.
    pub number: String,
    /// Office name.
    pub name: String,
}

impl NewOffice {
    /// The office to bind from what the user typed: both trimmed, and without a name
    /// `Étude <number>` (the window's default; the CLI used to write `Etude <number>`).
    pub fn new(number: &str, name: Option<&str>) -> NewOffice {
        let number = number.trim().to_owned();
        let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => n.to_owned(),
            None => format!("Étude {number}"),
        };
        NewOffice { number, name }
    }
}

/// The detail of a local service: the local record, its documents, its history and, when the
/// vault is reachable, the vault's detail sheet.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    /// Local id.
    pub id: i64,
    /// Reference.
    pub reference: String,
    /// Recipient id.
    pub recipient_id: String,
    /// Recipient name.
    pub recipient_name: String,
    /// Nature code.
    pub nature: String,
    /// Delivery state, once deposited.
    pub state: Option<DeliveryState>,
    /// Delivery state in French.
    pub state_fr: String,
    /// Preparation time.
    pub created_at: DateTime<Utc>,
    /// Time of service.
    pub served_at: Option<DateTime<Utc>>,
    /// The vault's deposit id.
    pub deposit_id: Option<String>,
    /// Documents (name, size).
    pub documents: Vec<(String, u64)>,
    /// History, oldest first (time, message).
    pub history: Vec<(DateTime<Utc>, String)>,
    /// Outbox state, if still in the outbox.
    pub outbox_state: Option<OutboxState>,
    /// Local copy of the archive (signed acts + attestation), once downloaded.
    pub archive: Option<PathBuf>,
    /// Local copy of the delivery notice (`<act>_REMISE.pdf`), once downloaded.
    pub delivery_notice_file: Option<PathBuf>,
    /// Local copy of the recipient's return, once downloaded.
    pub return_file: Option<PathBuf>,
    /// The vault's detail sheet, when reachable.
    pub vault: Option<sceau_proto::ServiceDetail>,
}

/// The application service.
pub struct App {
    config: Config,
    store: Mutex<Store>,
    tokens: Mutex<Option<Tokens>>,
    /// The data directory's lock file, locked exclusively for the App's lifetime (the OS frees
    /// it when the process ends, crash included).
    _lock: std::fs::File,
    /// The window's session: the vault client of the logged-in token (see `session.rs`).
    session: Mutex<Option<session::OpenSession>>,
    /// Held while the outbox is being sent: the window's background sync and a use case that
    /// uploads (a service, an EDI batch) take turns, so when one returns, none of the packages
    /// it queued is still being uploaded by the other.
    outbox_send: tokio::sync::Mutex<()>,
    /// Seals the workstation's files (outbox packages, archives, EDI work files) with the key
    /// of the local store: readable through the app only.
    seal: std::sync::Arc<sceau_store::FileSeal>,
}

/// Folders of the data directory whose files are sealed ([`sceau_store::FileSeal`]).
pub const SEALED_FOLDERS: [&str; 3] = ["outbox", "archives", "edi"];

/// The lock file in the data directory: one process per data directory.
pub const LOCK_FILE: &str = "sceau.lock";

/// Locks `data_dir` for this process, or says that another process has it.
fn lock_data_dir(data_dir: &Path) -> Result<std::fs::File> {
    let path = data_dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(error::io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::AlreadyOpen {
            data_dir: data_dir.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(error::io(&path)(e)),
    }
}

/// Seals every file of the [`SEALED_FOLDERS`] still in clear (written by a version before
/// sealing); returns how many. Temporary files of interrupted writes are removed.
fn seal_clear_files(seal: &sceau_store::FileSeal, data_dir: &Path) -> Result<usize> {
    fn walk(seal: &sceau_store::FileSeal, dir: &Path, n: &mut usize) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(());
        };
        for e in entries {
            let path = e.map_err(error::io(dir))?.path();
            if path.is_dir() {
                walk(seal, &path, n)?;
            } else if path.extension().is_some_and(|x| x == "part") {
                std::fs::remove_file(&path).map_err(error::io(&path))?;
            } else if seal.seal_in_place(&path)? {
                *n += 1;
            }
        }
        Ok(())
    }
    let mut n = 0;
    for folder in SEALED_FOLDERS {
        walk(seal, &data_dir.join(folder), &mut n)?;
    }
    Ok(n)
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("config", &self.config).finish()
    }
}

impl App {
    /// Opens the local store (created on first use) and puts interrupted uploads back in the
    /// outbox. The key module is loaded only when a use case needs it.
    pub fn open(config: Config) -> Result<App> {
        std::fs::create_dir_all(&config.data_dir).map_err(error::io(&config.data_dir))?;
        // Before anything is read or written: a second process stops here, changing nothing.
        let lock = lock_data_dir(&config.data_dir)?;
        for sub in ["outbox", "archives", "preview"] {
            let d = config.data_dir.join(sub);
            std::fs::create_dir_all(&d).map_err(error::io(&d))?;
        }
        let keys: Box<dyn KeyStore> = match &config.key {
            KeyChoice::Os(backend) => sceau_store::os_key_store(*backend, "sceau-store")?,
            KeyChoice::InsecureFileForTests(p) => {
                Box::new(sceau_store::InsecureFileKeyStoreForTests::new(p))
            }
        };
        let mut store = Store::open(config.data_dir.join("sceau.db"), keys.as_ref())?;
        let seal = store.file_seal();
        let sealed = seal_clear_files(&seal, &config.data_dir)?;
        if sealed > 0 {
            tracing::info!(
                sealed,
                "files written in clear by an earlier version sealed"
            );
        }
        let recovered = store.recover_interrupted()?;
        if recovered > 0 {
            tracing::info!(recovered, "interrupted uploads back in the outbox");
        }
        Ok(App {
            config,
            store: Mutex::new(store),
            tokens: Mutex::new(None),
            _lock: lock,
            session: Mutex::new(None),
            outbox_send: tokio::sync::Mutex::new(()),
            seal,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the store cannot leave a transaction half done (rusqlite rolls
        // back on drop), so a poisoned lock is safe to reuse.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The loaded PKCS#11 module (loaded on first use).
    pub fn tokens(&self) -> Result<Tokens> {
        let mut g = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = g.as_ref() {
            return Ok(t.clone());
        }
        let t = Tokens::open(&self.config.module)?;
        *g = Some(t.clone());
        Ok(t)
    }

    fn selector(&self) -> TokenSelector {
        TokenSelector::from_option(self.config.token.as_deref())
    }

    /// The selected token (for its PIN state, before asking the PIN).
    pub fn token_info(&self) -> Result<TokenInfo> {
        let list = self.tokens()?.list().wait()?;
        let sel = self.selector();
        let found = match &sel {
            TokenSelector::Any => {
                if list.len() > 1 {
                    return Err(sceau_token::Error::SeveralTokens {
                        labels: list.into_iter().map(|t| t.label).collect(),
                    }
                    .into());
                }
                list.into_iter().next()
            }
            TokenSelector::LabelOrSerial(w) => {
                list.into_iter().find(|t| t.label == *w || t.serial == *w)
            }
        };
        found.ok_or_else(|| match sel {
            TokenSelector::Any => sceau_token::Error::NoToken.into(),
            TokenSelector::LabelOrSerial(wanted) => {
                sceau_token::Error::TokenNotFound { wanted }.into()
            }
        })
    }

    /// The certificate of `role` on the token.
    pub(crate) async fn certificate(&self, role: Role) -> Result<CertificateInfo> {
        let certs = self.tokens()?.certificates(&self.selector()).await?;
        let cert = CertSelector::Role(role).select(&certs)?.clone();
        Ok(cert)
    }

    /// Logs in on the token: fails fast on a wrong or locked PIN, before anything else.
    pub async fn login(&self, cred: &Credentials) -> Result<()> {
        self.tokens()?
            .login(&self.selector(), cred.pin.clone(), cred.final_try)
            .await?;
        Ok(())
    }

    /// A vault client authenticating with the token's authentication key (the open session's
    /// client when there is one).
    pub async fn client(&self, cred: &Credentials) -> Result<VaultClient> {
        if let Some(c) = self.session_client() {
            return Ok(c);
        }
        if cred.pin.is_empty() {
            // A session's PIN-less credentials after the session closed: never try the key.
            return Err(session::not_connected());
        }
        let cert = self.certificate(Role::Authentication).await?;
        self.client_with(cred, &cert)
    }

    /// A new vault client authenticating with `cert`'s key on the token.
    pub(crate) fn client_with(
        &self,
        cred: &Credentials,
        cert: &CertificateInfo,
    ) -> Result<VaultClient> {
        if cred.pin.is_empty() {
            // A session's PIN-less credentials after the session closed: never try the key.
            return Err(session::not_connected());
        }
        let url = self.config.vault_url.as_deref().ok_or(Error::NoVault)?;
        let ca_path = self.config.vault_ca.as_deref().ok_or(Error::NoVault)?;
        let ca = read_cert(ca_path)?;
        let cert = cert.clone();
        let tokens = self.tokens()?;
        let identity = TokenIdentity::new(&tokens, &cert, cred.pin.clone(), cred.final_try)?;
        Ok(VaultClient::new(identity, &ca, TlsVersions::Both)?.with_base_url(url))
    }

    /// Connects: token login, vault session; on first connection shows the certificate to
    /// `confirm` and binds the office's space if it agrees. Records the office for offline use.
    pub async fn connect(
        &self,
        cred: &Credentials,
        new_office: &NewOffice,
        confirm: impl FnOnce(&sceau_proto::CertificateInfo) -> bool,
    ) -> Result<Connection> {
        self.login(cred).await?;
        let client = self.client(cred).await?;
        let session = client.session().await?;
        let (office, bound_now) = match session.office {
            Some(o) => (o, false),
            None => {
                if !confirm(&session.certificate) {
                    return Err(Error::BindingDeclined);
                }
                let s = client
                    .bind(&sceau_proto::BindRequest {
                        confirm_fingerprint_sha256: session.certificate.fingerprint_sha256.clone(),
                        office_number: new_office.number.clone(),
                        office_name: new_office.name.clone(),
                    })
                    .await?;
                let office = s
                    .office
                    .ok_or(Error::Client(sceau_client::Error::NotBound {
                        message: String::new(),
                    }))?;
                (office, true)
            }
        };
        {
            let mut st = self.store();
            st.set_setting(OFFICE_NUMBER, &office.number)?;
            st.set_setting(OFFICE_NAME, &office.name)?;
            let session = st.start_session()?;
            st.set_setting(SESSION, &session)?;
        }
        Ok(Connection {
            certificate: session.certificate,
            office,
            bound_now,
        })
    }

    /// The office recorded at the last connection.
    pub(crate) fn office(&self) -> Result<(String, String)> {
        let st = self.store();
        match (st.setting(OFFICE_NUMBER)?, st.setting(OFFICE_NAME)?) {
            (Some(n), Some(m)) => Ok((n, m)),
            _ => Err(Error::NeverConnected),
        }
    }

    /// Recipients by SIRET, SIREN, NIR or name: from the vault (and cached), or from the cache
    /// when the vault is unreachable, `auth` is `None` or names a session that is not open.
    pub async fn search_recipients(
        &self,
        query: &str,
        auth: Option<Auth<'_>>,
    ) -> Result<Vec<RecipientView>> {
        let q = parse_recipient_query(query)?;
        if let Some(auth) = self.reachable(auth) {
            match self.search_online(&q, auth).await {
                Ok(found) => return Ok(found),
                Err(e) if e.is_offline() => {
                    tracing::info!("vault unreachable: searching the local cache")
                }
                Err(e) => return Err(e),
            }
        }
        let st = self.store();
        let found = st.search_recipients(query.trim(), 50)?;
        Ok(found.into_iter().map(|r| view_of_cached(&r)).collect())
    }

    async fn search_online(
        &self,
        q: &RecipientQuery,
        auth: Auth<'_>,
    ) -> Result<Vec<RecipientView>> {
        let client = self.vault_client(auth).await?;
        let found = client.search_recipients(q).await?;
        let mut st = self.store();
        for r in &found {
            st.upsert_recipient(&cache_of(r))?;
        }
        Ok(found.iter().map(view_of).collect())
    }

    /// A recipient's card (vault, else cache) and, for `nature`, whether service is open now.
    pub async fn recipient_card(
        &self,
        id: &str,
        nature: Option<&str>,
        judge_permission: Option<&str>,
        auth: Auth<'_>,
    ) -> Result<RecipientCard> {
        match self.vault_client(auth).await {
            Ok(client) => match client.recipient(id).await {
                Ok(r) => {
                    self.store().upsert_recipient(&cache_of(&r))?;
                    let reception = match nature {
                        Some(n) => Some(
                            client
                                .reception(id, n, judge_permission, self.config.alsace_moselle)
                                .await?,
                        ),
                        None => None,
                    };
                    return Ok(RecipientCard {
                        recipient: view_of(&r),
                        reception,
                    });
                }
                Err(e) if !e.is_out_of_reach() => return Err(e.into()),
                Err(_) => {}
            },
            Err(e) if !e.is_offline() => return Err(e),
            Err(_) => {}
        }
        let cached = self.store().recipient(id)?.ok_or_else(|| Error::NotFound {
            what: format!("Destinataire {id}"),
        })?;
        Ok(RecipientCard {
            recipient: view_of_cached(&cached),
            reception: None,
        })
    }

    /// The dashboard: the four categories' unseen counts.
    pub fn dashboard_counts(&self) -> Result<sceau_store::DashboardCounts> {
        Ok(self.store().dashboard_counts()?)
    }

    /// One page of a dashboard category.
    pub fn dashboard_page(
        &self,
        category: sceau_core::delivery::NotificationCategory,
        filter: &sceau_store::DashboardFilter,
        page: usize,
    ) -> Result<sceau_store::Page<sceau_store::Notification>> {
        Ok(self.store().dashboard_page(category, filter, page)?)
    }

    /// One page of a dashboard category filtered by the free text typed above its list (the
    /// window's single filter field): the text is tried as the start of a reference, then of a
    /// recipient's name, then of a file name, and the first reading that matches any
    /// notification of the category is kept — so that a page beyond the end of a matching
    /// reading stays empty rather than jumping to another reading. Blank text: no filter.
    pub fn dashboard_page_matching(
        &self,
        category: sceau_core::delivery::NotificationCategory,
        text: &str,
        page: usize,
    ) -> Result<sceau_store::Page<sceau_store::Notification>> {
        use sceau_store::DashboardFilter as F;
        let text = text.trim();
        if text.is_empty() {
            return self.dashboard_page(category, &F::default(), page);
        }
        let readings = [
            F {
                reference: Some(text.to_owned()),
                ..F::default()
            },
            F {
                recipient: Some(text.to_owned()),
                ..F::default()
            },
            F {
                file: Some(text.to_owned()),
                ..F::default()
            },
        ];
        let [by_reference, by_recipient, by_file] = &readings;
        for filter in [by_reference, by_recipient] {
            let found = self.dashboard_page(category, filter, page)?;
            let matches = !found.items.is_empty()
                || (page > 0 && !self.dashboard_page(category, filter, 0)?.items.is_empty());
            if matches {
                return Ok(found);
            }
        }
        self.dashboard_page(category, by_file, page)
    }

    /// Marks a notification seen (the eye); returns whether it was unseen.
    pub fn mark_seen(&self, notification: i64) -> Result<bool> {
        let changed = self.store().mark_seen(notification)?;
        self.log(
            "Notification marquée comme vue",
            &format!("n° {notification}"),
        );
        Ok(changed)
    }

    /// The local search (every criterion of the manual), pages of 10.
    pub fn search(
        &self,
        criteria: &sceau_store::SearchCriteria,
        page: usize,
    ) -> Result<sceau_store::Page<sceau_store::Service>> {
        Ok(self.store().search(criteria, page)?)
    }

    /// The detail of a service by local id, deposit id or reference; opening it marks its
    /// notifications seen. With `auth` (a PIN, or an open session), the vault's detail sheet is
    /// added when reachable.
    pub async fn show(&self, key: &str, auth: Option<Auth<'_>>) -> Result<ServiceView> {
        let service = self.find_service(key)?;
        let mut view = {
            let mut st = self.store();
            st.mark_service_seen(service.id)?;
            let documents = st
                .documents(service.id)?
                .into_iter()
                .map(|d| (d.name, d.size))
                .collect();
            let history = st
                .history(service.id)?
                .into_iter()
                .map(|h| (h.at, h.message))
                .collect();
            let outbox_state = st.outbox_item_of(service.id)?.map(|o| o.state);
            ServiceView {
                id: service.id.0,
                reference: service.reference.clone(),
                recipient_id: service.recipient_id.clone(),
                recipient_name: service.recipient_name.clone(),
                nature: service.nature.clone(),
                state: service.state,
                state_fr: service
                    .state
                    .map(|s| s.label_fr().to_owned())
                    .unwrap_or_else(|| "En file d'envoi".into()),
                created_at: service.created_at,
                served_at: service.served_at,
                deposit_id: service.vault_deposit_id.clone(),
                documents,
                history,
                outbox_state,
                archive: None,
                delivery_notice_file: None,
                return_file: None,
                vault: None,
            }
        };
        self.log("Consultation du détail", &service.reference);
        if let Some(d) = &service.vault_deposit_id {
            view.archive = self.local_archive(d)?;
            (view.delivery_notice_file, view.return_file) = self.local_filed(d);
            if let Some(auth) = self.reachable(auth) {
                match self.vault_client(auth).await {
                    Ok(c) => match c.service(d).await {
                        Ok(detail) => view.vault = Some(detail),
                        Err(e) => tracing::info!(error = %e, "vault detail unavailable"),
                    },
                    Err(e) => tracing::info!(error = %e, "vault unavailable"),
                }
            }
        }
        Ok(view)
    }

    /// A local service by id, deposit id or reference, without marking anything seen.
    pub fn service(&self, key: &str) -> Result<sceau_store::Service> {
        self.find_service(key)
    }

    pub(crate) fn find_service(&self, key: &str) -> Result<sceau_store::Service> {
        let st = self.store();
        if let Ok(id) = key.parse::<i64>() {
            if let Ok(s) = st.service(sceau_store::ServiceId(id)) {
                return Ok(s);
            }
        }
        if let Some(s) = st.service_by_deposit_id(key)? {
            return Ok(s);
        }
        st.service_by_reference(key)?
            .ok_or_else(|| Error::NotFound {
                what: format!("Signification « {key} »"),
            })
    }

    /// The content of a file the workstation keeps sealed (an outbox package, a local archive,
    /// a delivery notice or a return): only through the app.
    pub fn read_local_file(&self, path: &Path) -> Result<Vec<u8>> {
        Ok(self.seal.read(path)?)
    }

    /// The archive directory of deposit `deposit_id`.
    pub(crate) fn archive_dir(&self, deposit_id: &str) -> PathBuf {
        self.config
            .data_dir
            .join("archives")
            .join(sceau_core::naming::sanitize(deposit_id))
    }

    fn local_archive(&self, deposit_id: &str) -> Result<Option<PathBuf>> {
        let dir = self.archive_dir(deposit_id);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            return Ok(None);
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "zip") {
                return Ok(Some(p));
            }
        }
        Ok(None)
    }

    /// Local copies of the delivery notice and of the return of `deposit_id`, if downloaded.
    fn local_filed(&self, deposit_id: &str) -> (Option<PathBuf>, Option<PathBuf>) {
        let (mut notice, mut ret) = (None, None);
        if let Ok(rd) = std::fs::read_dir(self.archive_dir(deposit_id)) {
            for e in rd.flatten() {
                let p = e.path();
                let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if name.ends_with("_REMISE.pdf") {
                    notice = Some(p);
                } else if name.ends_with(".pdf") {
                    ret = Some(p);
                }
            }
        }
        (notice, ret)
    }

    /// Appends an action to the current session's log (best effort: a log failure never stops
    /// the action it records). Never a PIN, a document's content or a full personal id.
    pub(crate) fn log(&self, action: &str, detail: &str) {
        let mut st = self.store();
        let result = st.setting(SESSION).and_then(|s| match s {
            Some(s) => st.log_action(&s, action, detail),
            None => Ok(()),
        });
        if let Err(e) = result {
            tracing::warn!(error = %e, "session log not written");
        }
    }

    /// Every action since the last connection, in order (the dashboard's session log).
    pub fn session_log(&self) -> Result<Vec<sceau_store::SessionEntry>> {
        let st = self.store();
        match st.setting(SESSION)? {
            Some(s) => Ok(st.session_log(&s)?),
            None => Ok(vec![]),
        }
    }

    /// The local database file.
    pub fn store_path(&self) -> PathBuf {
        self.store().path().to_path_buf()
    }

    /// Writes the WAL back into the database file (on quit).
    pub fn checkpoint(&self) -> Result<()> {
        Ok(self.store().checkpoint()?)
    }
}

/// The time of a local history line about something the vault made at `vault_at` (an archive,
/// a delivery notice downloaded): the workstation's clock, but never before the vault's own
/// time of that thing, so that the history keeps the vault's order even when the two clocks
/// disagree (the vault's time is the legal one, CPC 664-1).
pub(crate) fn not_before_vault(vault_at: DateTime<Utc>) -> DateTime<Utc> {
    Utc::now().max(vault_at)
}

/// Reads a certificate file, PEM or DER, and returns the DER of its first certificate.
pub fn read_cert(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(error::io(path))?;
    if let Ok(text) = std::str::from_utf8(&bytes) {
        if let Some(start) = text.find("-----BEGIN CERTIFICATE-----") {
            let rest = &text[start + 27..];
            let end = rest.find("-----END CERTIFICATE-----").unwrap_or(rest.len());
            let b64: String = rest[..end].chars().filter(|c| !c.is_whitespace()).collect();
            return base64_decode(&b64).ok_or_else(|| Error::Input {
                code: "app.bad_vault_ca",
                message: format!(
                    "Le certificat du coffre-fort {} est illisible (PEM invalide).",
                    path.display()
                ),
            });
        }
    }
    Ok(bytes)
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// Whether `role` is what this certificate is for (re-exported for adapters).
pub use sceau_token::Role as CertRole;

/// Keeps `Arc` in the public API surface small: a shared app for adapters.
pub type SharedApp = Arc<App>;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn files_left_in_clear_by_an_earlier_version_are_sealed_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let seal =
            sceau_store::FileSeal::derive(&sceau_store::DbKey::from_bytes(&[3u8; 32]).unwrap());
        let archive = dir.path().join("archives/dep-1/acte.zip");
        let package = dir.path().join("outbox/p.zip");
        let torn = dir.path().join("outbox/q.part");
        let other = dir.path().join("lettres/lettre.pdf");
        for p in [&archive, &package, &torn, &other] {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"PK\x03\x04 en clair").unwrap();
        }
        assert_eq!(seal_clear_files(&seal, dir.path()).unwrap(), 2);
        for p in [&archive, &package] {
            assert!(sceau_store::FileSeal::is_sealed(&std::fs::read(p).unwrap()));
            assert_eq!(seal.read(p).unwrap(), b"PK\x03\x04 en clair");
        }
        assert!(!torn.exists(), "a torn temporary file goes");
        assert_eq!(
            std::fs::read(&other).unwrap(),
            b"PK\x03\x04 en clair",
            "not ours to seal"
        );
        assert_eq!(seal_clear_files(&seal, dir.path()).unwrap(), 0, "once only");
    }

    #[test]
    fn a_services_outbox_state_is_handed_out_typed_and_serialised_as_its_stored_code() {
        for s in [
            OutboxState::Prepared,
            OutboxState::Uploading,
            OutboxState::Deposited,
            OutboxState::Failed,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.code());
        }
    }

    #[test]
    fn an_office_without_a_name_is_named_etude_with_its_accent_by_both_faces() {
        let o = NewOffice::new(" 9991 ", Some("  "));
        assert_eq!((o.number.as_str(), o.name.as_str()), ("9991", "Étude 9991"));
        assert_eq!(NewOffice::new("9991", None).name, "Étude 9991");
        assert_eq!(NewOffice::new("9991", Some(" SCP X ")).name, "SCP X");
    }

    #[test]
    fn certificates_are_read_as_pem_or_der() {
        let dir = tempfile::tempdir().unwrap();
        let der = vec![0x30, 0x03, 0x02, 0x01, 0x05];
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode(&der)
            }
        );
        std::fs::write(dir.path().join("a.pem"), pem).unwrap();
        std::fs::write(dir.path().join("a.der"), &der).unwrap();
        assert_eq!(read_cert(&dir.path().join("a.pem")).unwrap(), der);
        assert_eq!(read_cert(&dir.path().join("a.der")).unwrap(), der);
        assert_eq!(
            read_cert(&dir.path().join("none")).unwrap_err().code(),
            "app.io"
        );
    }

    #[test]
    fn progress_events_serialise_for_the_window() {
        let p = Progress::Step {
            reference: "R".into(),
            step: Step::Sign,
            status: StepStatus::Failed {
                code: "token.wrong_pin".into(),
                reason: "x".into(),
            },
        };
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"kind":"step","reference":"R","step":"sign","status":"failed","code":"token.wrong_pin","reason":"x"}"#
        );
    }
}
