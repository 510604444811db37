//! The vault's configuration file (TOML) and its clock.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{config, file_error, ConfigError, Result};
use crate::store::blobs::S3Config;

/// Where metadata lives.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MetadataConfig {
    /// SQLite file in the data directory (`vault.db`).
    Sqlite,
    /// PostgreSQL at a libpq connection string.
    Postgres {
        /// e.g. `host=127.0.0.1 port=5432 user=postgres dbname=vault`.
        url: String,
    },
}

/// Where blobs live.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlobConfig {
    /// Files under the data directory (`blobs/`).
    Files,
    /// An S3-compatible bucket.
    S3(S3Config),
}

/// The delivery rule in force (CPC 662-1 by default; the SECURACT 24-hour window as an option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryRuleConfig {
    /// "À personne" if consulted the calendar day of transmission, in the governing place's
    /// time zone (the deposit's place: `sceau_core::place`).
    SameDay,
    /// "À personne" if consulted within 24 hours (SECURACT manual).
    Within24Hours,
}

/// The configuration file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8443`.
    pub listen: String,
    /// Data directory made by `sceau-vault init` (keys, SQLite file, blob files, uploads).
    pub data_dir: PathBuf,
    /// PEM files of the CAs whose certificates offices may authenticate with (and sign with).
    pub client_ca_files: Vec<PathBuf>,
    /// PEM files of the CAs whose certificates banks authenticate with on the bank API only.
    /// Empty: banks' certificates chain to `client_ca_files`, as before this list existed.
    /// A certificate that chains to a bank CA alone is never accepted on the offices' routes.
    #[serde(default)]
    pub bank_ca_files: Vec<PathBuf>,
    /// Serial numbers (lower-case hex) of client certificates refused as revoked.
    #[serde(default)]
    pub revoked_serials: Vec<String>,
    /// Certificate revocation lists (PEM or DER files of the offices' and banks' CAs), checked
    /// for authentication certificates at every request and signing certificates at every
    /// deposit; read again when a file changes (no restart).
    #[serde(default)]
    pub crl_files: Vec<PathBuf>,
    /// Metadata backend.
    pub metadata: MetadataConfig,
    /// Blob backend.
    pub blobs: BlobConfig,
    /// Delivery rule in force.
    #[serde(default = "default_rule")]
    pub delivery_rule: DeliveryRuleConfig,
    /// The place assumed when neither the recipient's nor the office's is known is
    /// Alsace-Moselle (its public holidays apply) rather than Paris: see `crate::place`.
    #[serde(default)]
    pub alsace_moselle: bool,
    /// Largest deposit package, bytes.
    #[serde(default = "default_max_package")]
    pub max_package_bytes: u64,
    /// Largest single act, bytes.
    #[serde(default = "default_max_document")]
    pub max_document_bytes: u64,
    /// Retention of archived services, years.
    #[serde(default = "default_retention")]
    pub retention_years: u32,
    /// Outgoing e-mail (notifications, one-time codes); none: e-mails fail and are recorded so.
    #[serde(default)]
    pub smtp: Option<SmtpConfig>,
    /// SMS gateway (notifications, one-time codes); none: SMS fail and are recorded so.
    #[serde(default)]
    pub sms: Option<SmsConfig>,
    /// Retries of notifications.
    #[serde(default)]
    pub notify: NotifyConfig,
    /// The recipients' portal.
    #[serde(default)]
    pub portal: PortalConfig,
    /// Largest return (PDF or structured answer) a recipient may deposit, bytes.
    #[serde(default = "default_max_return")]
    pub max_return_bytes: u64,
    /// Largest file an office may transfer into its own vault ("Transférer"), bytes.
    #[serde(default = "default_max_vault_file")]
    pub max_vault_file_bytes: u64,
    /// Seconds between two journal checkpoints (the chain head sealed and time-stamped);
    /// a proof asked for lines not yet covered makes one at once.
    #[serde(default = "default_checkpoint_interval")]
    pub checkpoint_interval_secs: u64,
    /// Most connections the vault opens to PostgreSQL at once (a transaction beyond them
    /// waits for a free one); ignored with SQLite.
    #[serde(default = "default_pg_max_connections")]
    pub pg_max_connections: usize,
    /// Connections served at once on each listener (API, portal); more are closed at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Seconds a client has to complete its TLS handshake.
    #[serde(default = "default_conn_timeout")]
    pub handshake_timeout_secs: u64,
    /// Seconds a client has to send a request's headers.
    #[serde(default = "default_conn_timeout")]
    pub header_timeout_secs: u64,
}

/// Connections served at once on a listener when `vault.toml` says nothing.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

fn default_max_connections() -> usize {
    DEFAULT_MAX_CONNECTIONS
}

fn default_conn_timeout() -> u64 {
    10
}

fn default_pg_max_connections() -> usize {
    crate::store::sql::PG_DEFAULT_MAX_CONNECTIONS
}

fn default_checkpoint_interval() -> u64 {
    300
}

fn default_max_vault_file() -> u64 {
    100 * 1024 * 1024
}

fn default_max_return() -> u64 {
    10 * 1024 * 1024
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// No TLS (a relay on the same host only).
    Plain,
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

/// The SMTP relay.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SmtpConfig {
    /// Host name (also the TLS name checked).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Plain, STARTTLS or TLS.
    pub security: SmtpSecurity,
    /// User name, if the relay wants AUTH.
    #[serde(default)]
    pub username: Option<String>,
    /// Password, if the relay wants AUTH.
    #[serde(default)]
    pub password: Option<String>,
    /// Sender address, e.g. `Coffre Sceau <coffre@example.fr>`.
    pub from: String,
    /// PEM file of an extra CA trusted for the relay's certificate (besides the system's).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

/// An HTTP SMS gateway: providers differ, so the request is described here. In `url` and
/// `body_template`, `{to}` is replaced by the number and `{text}` by the message (JSON-escaped
/// when `content_type` is JSON, URL-encoded otherwise).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SmsConfig {
    /// Gateway URL.
    pub url: String,
    /// HTTP method (`POST` by default).
    #[serde(default = "default_sms_method")]
    pub method: String,
    /// Body template.
    #[serde(default = "default_sms_body")]
    pub body_template: String,
    /// Content type of the body.
    #[serde(default = "default_sms_content_type")]
    pub content_type: String,
    /// HTTP basic user, if any.
    #[serde(default)]
    pub username: Option<String>,
    /// HTTP basic password (or bearer token when there is no user), if any.
    #[serde(default)]
    pub password: Option<String>,
    /// PEM file of an extra CA trusted for the gateway's certificate.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

impl SmsConfig {
    /// A gateway at `url` taking the defaults: `POST` of `{"to": "{to}", "text": "{text}"}` as
    /// JSON, no credentials, the system's CAs.
    pub fn new(url: String) -> Self {
        SmsConfig {
            url,
            method: default_sms_method(),
            body_template: default_sms_body(),
            content_type: default_sms_content_type(),
            username: None,
            password: None,
            ca_file: None,
        }
    }
}

fn default_sms_method() -> String {
    "POST".into()
}
fn default_sms_body() -> String {
    r#"{"to": "{to}", "text": "{text}"}"#.into()
}
fn default_sms_content_type() -> String {
    "application/json".into()
}

/// Retries of notifications: attempt n+1 waits `backoff_seconds * 2^(n-1)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotifyConfig {
    /// Attempts before a notification is recorded as failed.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// First back-off, seconds.
    #[serde(default = "default_backoff")]
    pub backoff_seconds: u64,
    /// For a recipient taking a digest: the acts of one office queued within this many minutes
    /// of the first go in one e-mail, sent when the window closes (10: an EDI batch; 60: one
    /// digest per hour at most).
    #[serde(default = "default_digest_window")]
    pub digest_window_minutes: u32,
    /// How long a send's claim holds (seconds): while it lasts no other vault instance sends
    /// the same notice; an instance that dies with claims leaves them to the others at its end.
    #[serde(default = "default_claim_lease")]
    pub claim_lease_secs: u64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            max_attempts: default_attempts(),
            backoff_seconds: default_backoff(),
            digest_window_minutes: default_digest_window(),
            claim_lease_secs: default_claim_lease(),
        }
    }
}

fn default_claim_lease() -> u64 {
    15 * 60
}

fn default_digest_window() -> u32 {
    10
}

fn default_attempts() -> u32 {
    5
}
fn default_backoff() -> u64 {
    30
}

/// The recipients' portal (server-rendered pages, no client certificate).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PortalConfig {
    /// Address of the portal's own listener (TLS without client certificates); none: no
    /// portal listener.
    #[serde(default)]
    pub listen: Option<String>,
    /// Public base URL of the portal, used in the links sent to recipients.
    #[serde(default = "default_public_url")]
    pub public_url: String,
    /// Validity of a link sent by e-mail, days.
    #[serde(default = "default_link_days")]
    pub link_days: u32,
    /// Validity of a one-time code, minutes.
    #[serde(default = "default_code_minutes")]
    pub code_minutes: u32,
    /// Wrong codes allowed before the code is locked (a new one must be asked for).
    #[serde(default = "default_code_attempts")]
    pub max_code_attempts: u32,
    /// Idle validity of a portal session, minutes.
    #[serde(default = "default_session_minutes")]
    pub session_minutes: u32,
    /// Requests one client address (an IPv6 /64) may make to the portal in a minute; more are
    /// answered 429 until the next minute. 0: no limit.
    #[serde(default = "default_portal_requests_per_minute")]
    pub max_requests_per_minute: u32,
    /// Days the portal's audit lines are kept (who opened which page when); the legal proof of
    /// consultation is the evidence journal, kept with the deposits.
    #[serde(default = "default_audit_retention_days")]
    pub audit_retention_days: u32,
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            listen: None,
            public_url: default_public_url(),
            link_days: default_link_days(),
            code_minutes: default_code_minutes(),
            max_code_attempts: default_code_attempts(),
            session_minutes: default_session_minutes(),
            max_requests_per_minute: default_portal_requests_per_minute(),
            audit_retention_days: default_audit_retention_days(),
        }
    }
}

/// Generous for a person (a page is one request) and for several people behind one
/// carrier-grade NAT; a script guessing or flooding stops within a minute.
fn default_portal_requests_per_minute() -> u32 {
    300
}
/// One year: the usual term for access logs (CNIL), long enough to answer a recipient's
/// question about the accesses to their acts.
fn default_audit_retention_days() -> u32 {
    365
}
fn default_public_url() -> String {
    "https://localhost:8444".into()
}
fn default_link_days() -> u32 {
    30
}
fn default_code_minutes() -> u32 {
    10
}
fn default_code_attempts() -> u32 {
    5
}
fn default_session_minutes() -> u32 {
    30
}

fn default_rule() -> DeliveryRuleConfig {
    DeliveryRuleConfig::SameDay
}
fn default_max_package() -> u64 {
    64 * 1024 * 1024
}
fn default_max_document() -> u64 {
    32 * 1024 * 1024
}
fn default_retention() -> u32 {
    10
}

impl Config {
    /// A default configuration for a data directory (SQLite + files).
    pub fn new(data_dir: &Path, listen: &str, client_ca_files: Vec<PathBuf>) -> Self {
        Config {
            listen: listen.into(),
            data_dir: data_dir.to_owned(),
            client_ca_files,
            bank_ca_files: Vec::new(),
            revoked_serials: Vec::new(),
            crl_files: Vec::new(),
            metadata: MetadataConfig::Sqlite,
            blobs: BlobConfig::Files,
            delivery_rule: default_rule(),
            alsace_moselle: false,
            max_package_bytes: default_max_package(),
            max_document_bytes: default_max_document(),
            retention_years: default_retention(),
            smtp: None,
            sms: None,
            notify: NotifyConfig::default(),
            portal: PortalConfig::default(),
            max_return_bytes: default_max_return(),
            max_vault_file_bytes: default_max_vault_file(),
            checkpoint_interval_secs: default_checkpoint_interval(),
            pg_max_connections: default_pg_max_connections(),
            max_connections: default_max_connections(),
            handshake_timeout_secs: default_conn_timeout(),
            header_timeout_secs: default_conn_timeout(),
        }
    }

    /// Reads a configuration file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(file_error(path))?;
        toml::from_str(&text).map_err(|source| {
            config(ConfigError::Toml {
                path: path.to_owned(),
                source,
            })
        })
    }

    /// Writes it as TOML.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = toml::to_string_pretty(self).map_err(config)?;
        // It holds the SMTP, SMS and S3 passwords: 0600 from the start.
        crate::datadir::write_private(path, text.as_bytes()).map_err(config)
    }
}

/// The vault's time source: injectable so that tests of hours and deadlines never sleep.
pub trait Clock: Send + Sync {
    /// Now, UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock set by tests.
#[derive(Debug)]
pub struct FixedClock {
    now: AtomicI64,
    /// Microseconds added after each reading (0: the clock stands still).
    step: AtomicI64,
}

impl FixedClock {
    /// A clock showing `t`.
    pub fn new(t: DateTime<Utc>) -> Self {
        FixedClock {
            now: AtomicI64::new(t.timestamp_micros()),
            step: AtomicI64::new(0),
        }
    }

    /// Sets the time.
    pub fn set(&self, t: DateTime<Utc>) {
        self.now.store(t.timestamp_micros(), Ordering::SeqCst);
    }

    /// Makes every reading move the clock on by `step` (a test that a request reads the time
    /// once: a second reading would see another instant).
    pub fn set_step(&self, step: chrono::Duration) {
        self.step
            .store(step.num_microseconds().unwrap_or(0), Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        let step = self.step.load(Ordering::SeqCst);
        DateTime::from_timestamp_micros(self.now.fetch_add(step, Ordering::SeqCst))
            .unwrap_or_default()
    }
}

/// The environment variable naming the test clock's file (feature `test-clock` only).
#[cfg(feature = "test-clock")]
pub const TEST_CLOCK_ENV: &str = "SCEAU_VAULT_TEST_CLOCK";

/// A test clock for the real binary (feature `test-clock`, off by default): the system time
/// shifted by the whole number of seconds written in a file, read at each call, so a test
/// moves the vault past a deadline by rewriting the file. A missing or unreadable file means
/// no shift.
#[cfg(feature = "test-clock")]
#[derive(Debug)]
pub struct ShiftedClock {
    /// The file holding the shift, seconds (e.g. `172800`).
    pub path: PathBuf,
}

#[cfg(feature = "test-clock")]
impl ShiftedClock {
    /// The shift now in the file.
    pub fn shift(&self) -> chrono::Duration {
        let secs = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(0);
        chrono::Duration::try_seconds(secs).unwrap_or_default()
    }
}

#[cfg(feature = "test-clock")]
impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.shift()
    }
}
