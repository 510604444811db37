//! The optional configuration file (`~/.config/sceau/config.toml`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::output::CliError;

/// Settings read from the configuration file; every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// PKCS#11 module of the office's key.
    pub pkcs11_module: Option<PathBuf>,
    /// Default token label or serial.
    pub token: Option<String>,
    /// Certificates (PEM) trusted when verifying signatures.
    #[serde(default)]
    pub trust: Vec<PathBuf>,
    /// RFC 3161 time-stamping authority used when signing.
    pub tsa_url: Option<String>,
    /// Address of the vault, e.g. `https://coffre.example:8443`.
    pub vault_url: Option<String>,
    /// The vault's CA certificate (PEM), pinned.
    pub vault_ca: Option<PathBuf>,
    /// Directory of the local store and the outbox (default: the user's data directory).
    pub data_dir: Option<PathBuf>,
    /// Office number used on first connection.
    pub office_number: Option<String>,
    /// Office name used on first connection.
    pub office_name: Option<String>,
    /// Tests and demos only: keep the local store's key in this file instead of the OS
    /// credential store. Never for an office's real data.
    pub insecure_store_key_file: Option<PathBuf>,
    /// Where the store's key is kept: `secret-service` (default on Linux) or `keyutils`.
    pub key_store: Option<String>,
    /// The office applies the Alsace-Moselle calendar (Good Friday and 26 December are public
    /// holidays): reception hours, next openings, the plain letter's date. Same key as the
    /// window's "Paramètres".
    pub alsace_moselle: Option<bool>,
}

impl Config {
    /// Loads `explicit`, or the default file if it exists, or the defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Self, CliError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => match default_path() {
                Some(p) if p.is_file() => p,
                _ => return Ok(Config::default()),
            },
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            CliError::input(
                "config.unreadable",
                format!(
                    "Le fichier de configuration {} est illisible ({e}).",
                    path.display()
                ),
            )
        })?;
        toml::from_str(&text).map_err(|e| {
            CliError::input(
                "config.invalid",
                format!(
                    "Le fichier de configuration {} est incorrect : {}",
                    path.display(),
                    e.message()
                ),
            )
        })
    }
}

fn default_path() -> Option<PathBuf> {
    sceau_app::folders::user_folders().map(|f| f.config.join("config.toml"))
}
