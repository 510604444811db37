//! The vault's configuration file (TOML) and its clock.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
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
    /// "À personne" if consulted the calendar day of transmission (Europe/Paris).
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
    /// PEM files of the CAs whose certificates offices (and banks) may authenticate with.
    pub client_ca_files: Vec<PathBuf>,
    /// Serial numbers (lower-case hex) of client certificates refused as revoked.
    #[serde(default)]
    pub revoked_serials: Vec<String>,
    /// Metadata backend.
    pub metadata: MetadataConfig,
    /// Blob backend.
    pub blobs: BlobConfig,
    /// Delivery rule in force.
    #[serde(default = "default_rule")]
    pub delivery_rule: DeliveryRuleConfig,
    /// Whether the Alsace-Moselle public holidays apply.
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
            revoked_serials: Vec::new(),
            metadata: MetadataConfig::Sqlite,
            blobs: BlobConfig::Files,
            delivery_rule: default_rule(),
            alsace_moselle: false,
            max_package_bytes: default_max_package(),
            max_document_bytes: default_max_document(),
            retention_years: default_retention(),
        }
    }

    /// Reads a configuration file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
        toml::from_str(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
    }

    /// Writes it as TOML.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = toml::to_string_pretty(self).map_err(|e| Error::Config(e.to_string()))?;
        std::fs::write(path, text).map_err(|e| Error::Config(e.to_string()))
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
pub struct FixedClock(AtomicI64);

impl FixedClock {
    /// A clock showing `t`.
    pub fn new(t: DateTime<Utc>) -> Self {
        FixedClock(AtomicI64::new(t.timestamp_micros()))
    }

    /// Sets the time.
    pub fn set(&self, t: DateTime<Utc>) {
        self.0.store(t.timestamp_micros(), Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0.load(Ordering::SeqCst)).unwrap_or_default()
    }
}
