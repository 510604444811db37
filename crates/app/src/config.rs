//! The configuration of both faces: one function, [`Config::resolve`], over the configuration
//! files and the environment, so that the window and `sceau` agree on the data directory, the
//! vault and its CA, the PKCS#11 module, the key store and the calendar.
//!
//! Later wins:
//! 1. `config.toml` — `--config` (the CLI; it must exist), else `SCEAU_CONFIG`, else the user's
//!    settings folder ([`crate::folders`]); an absent file gives the defaults;
//! 2. the window only: `desktop.toml` beside it (`SCEAU_DESKTOP_SETTINGS`), which "Paramètres"
//!    writes;
//! 3. the environment: `SCEAU_PKCS11_MODULE`, `SCEAU_VAULT_URL`, `SCEAU_VAULT_CA`,
//!    `SCEAU_DATA_DIR`;
//! 4. the CLI only: `--module`, `--token`.
//!
//! Both files hold the same [`Settings`]; a field Sceau does not know is an error in either (a
//! misspelt `vault_url` must not be silently ignored by one face and refused by the other).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::io;
use crate::folders;
use crate::{Config, Error, KeyChoice, Result};

pub use sceau_token::module::{ModuleSource, ENV_MODULE};

/// Environment variable: the configuration file shared by the CLI and the window.
pub const ENV_CONFIG: &str = "SCEAU_CONFIG";
/// Environment variable: the window's own settings file (tests, demo).
pub const ENV_DESKTOP_SETTINGS: &str = "SCEAU_DESKTOP_SETTINGS";
/// Environment variable: directory of the local store.
pub const ENV_DATA_DIR: &str = "SCEAU_DATA_DIR";
/// Environment variable: the vault's address.
pub const ENV_VAULT_URL: &str = "SCEAU_VAULT_URL";
/// Environment variable: the vault's CA certificate.
pub const ENV_VAULT_CA: &str = "SCEAU_VAULT_CA";

/// How dates are written on screen (the window's "Paramètres").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateStyle {
    /// 22/11/2026.
    #[default]
    Numeric,
    /// 22 novembre 2026.
    Long,
}

/// Every setting of `config.toml` and `desktop.toml`; all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// PKCS#11 module of the office's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkcs11_module: Option<PathBuf>,
    /// Token label or serial, when several keys are plugged in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Certificates (PEM) trusted when verifying signatures (the CLI's `verify`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trust: Vec<PathBuf>,
    /// RFC 3161 time-stamping authority used when signing (the CLI's `sign`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tsa_url: Option<String>,
    /// Address of the vault, e.g. `https://coffre.example:8443`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_url: Option<String>,
    /// The vault's CA certificate (PEM), pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_ca: Option<PathBuf>,
    /// Directory of the local store and the outbox (default: the user's data folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// Office number used on first connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_number: Option<String>,
    /// Office name used on first connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_name: Option<String>,
    /// Tests and demos only: keep the local store's key in this file instead of the OS
    /// credential store. Never for an office's real data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure_store_key_file: Option<PathBuf>,
    /// Where the store's key is kept (`secret-service`, `keyutils`...); an unknown name is an
    /// error in both faces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_store: Option<String>,
    /// The office applies the Alsace-Moselle calendar (Good Friday and 26 December are public
    /// holidays): reception hours, next openings, the plain letter's date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alsace_moselle: Option<bool>,
    /// Dates in numbers or words (the window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_style: Option<DateStyle>,
    /// Seconds between two background syncs when the vault's feed cannot wait (the window;
    /// default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_interval_s: Option<u64>,
    /// Minutes without use after which the window locks (the PIN again to unlock); 0 = never
    /// (the window; default [`DEFAULT_LOCK_AFTER_MIN`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_after_min: Option<u32>,
}

/// The window locks after this many idle minutes unless "Paramètres" says otherwise.
pub const DEFAULT_LOCK_AFTER_MIN: u32 = 10;

impl Settings {
    /// `other`'s fields where it has them, else ours.
    pub fn overlay(self, other: Settings) -> Settings {
        Settings {
            pkcs11_module: other.pkcs11_module.or(self.pkcs11_module),
            token: other.token.or(self.token),
            trust: if other.trust.is_empty() {
                self.trust
            } else {
                other.trust
            },
            tsa_url: other.tsa_url.or(self.tsa_url),
            vault_url: other.vault_url.or(self.vault_url),
            vault_ca: other.vault_ca.or(self.vault_ca),
            data_dir: other.data_dir.or(self.data_dir),
            office_number: other.office_number.or(self.office_number),
            office_name: other.office_name.or(self.office_name),
            insecure_store_key_file: other
                .insecure_store_key_file
                .or(self.insecure_store_key_file),
            key_store: other.key_store.or(self.key_store),
            alsace_moselle: other.alsace_moselle.or(self.alsace_moselle),
            date_style: other.date_style.or(self.date_style),
            sync_interval_s: other.sync_interval_s.or(self.sync_interval_s),
            lock_after_min: other.lock_after_min.or(self.lock_after_min),
        }
    }

    /// Reads `path`, which must exist.
    pub fn read(path: &Path) -> Result<Settings> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| Error::ConfigInvalid {
            path: path.to_path_buf(),
            detail: e.message().to_owned(),
        })
    }

    /// Reads `path` when it names a file, else the defaults.
    pub fn read_if_present(path: Option<&Path>) -> Result<Settings> {
        match path.filter(|p| p.is_file()) {
            Some(p) => Settings::read(p),
            None => Ok(Settings::default()),
        }
    }

    /// Writes these settings to `path` (its folder created if needed).
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = toml::to_string(self).map_err(|e| Error::Internal(e.to_string()))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        std::fs::write(path, text).map_err(io(path))
    }
}

/// The CLI's global flags that take part in the configuration.
#[derive(Debug, Clone, Default)]
pub struct CliFlags {
    /// `--config`: this file instead of the default one; it must exist.
    pub config: Option<PathBuf>,
    /// `--module`: the PKCS#11 module, before everything else.
    pub module: Option<PathBuf>,
    /// `--token`: the token's label or serial.
    pub token: Option<String>,
}

/// Which face asks: the CLI with its flags, or the window with its `desktop.toml`.
#[derive(Debug, Clone)]
pub enum Face {
    /// The `sceau` command.
    Cli(CliFlags),
    /// The desktop window.
    Window,
}

/// What [`Config::resolve`] found.
#[derive(Debug)]
pub struct Resolved {
    /// The application service's configuration.
    pub config: Config,
    /// The merged settings (files, then the environment), for what only one face uses: the
    /// CLI's trust list, time-stamping authority and office; the window's "Paramètres".
    pub settings: Settings,
    /// Where the PKCS#11 module was found, or why none was: the window opens without one (key
    /// detection then says so), the CLI stops.
    pub module: Result<ModuleSource>,
}

/// The window's own settings file: `SCEAU_DESKTOP_SETTINGS`, else `desktop.toml` in the user's
/// settings folder.
pub fn desktop_file(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    env(ENV_DESKTOP_SETTINGS)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            folders::folders(folders::Os::current(), env).map(|f| f.config.join("desktop.toml"))
        })
}

/// The process environment, as both faces pass it to [`Config::resolve`].
pub fn process_env(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

impl Settings {
    /// The settings `face` sees: its files, then the environment (files and variables only; the
    /// module and the key store are looked up by [`Config::resolve`]).
    pub fn load(face: &Face, env: &dyn Fn(&str) -> Option<OsString>) -> Result<Settings> {
        let var = |name: &str| env(name).filter(|v| !v.is_empty());
        let explicit = match face {
            Face::Cli(flags) => flags.config.as_deref(),
            Face::Window => None,
        };
        let mut settings = match explicit {
            Some(explicit) => Settings::read(explicit)?,
            None => Settings::read_if_present(
                var(ENV_CONFIG)
                    .map(PathBuf::from)
                    .or_else(|| {
                        folders::folders(folders::Os::current(), env)
                            .map(|f| f.config.join("config.toml"))
                    })
                    .as_deref(),
            )?,
        };
        if matches!(face, Face::Window) {
            settings = settings.overlay(Settings::read_if_present(desktop_file(env).as_deref())?);
        }
        Ok(settings.overlay(Settings {
            pkcs11_module: var(ENV_MODULE).map(PathBuf::from),
            vault_url: var(ENV_VAULT_URL).map(|v| v.to_string_lossy().into_owned()),
            vault_ca: var(ENV_VAULT_CA).map(PathBuf::from),
            data_dir: var(ENV_DATA_DIR).map(PathBuf::from),
            ..Settings::default()
        }))
    }
}

impl Config {
    /// The configuration for `face` from the files and `env` (the process environment,
    /// [`process_env`], passed in so that tests resolve anywhere). See the module's order.
    pub fn resolve(face: &Face, env: &dyn Fn(&str) -> Option<OsString>) -> Result<Resolved> {
        let settings = Settings::load(face, env)?;
        let flags = match face {
            Face::Cli(flags) => Some(flags),
            Face::Window => None,
        };
        // `SCEAU_PKCS11_MODULE` is in `settings.pkcs11_module` already; it is passed again as
        // the environment's so that `token list` says where the module came from.
        let module_env = env(ENV_MODULE).filter(|v| !v.is_empty()).map(PathBuf::from);
        let (module_path, module) = match sceau_token::module::resolve(
            flags.and_then(|f| f.module.as_deref()),
            module_env.as_deref(),
            settings.pkcs11_module.as_deref(),
        ) {
            Ok((path, source)) => (path, Ok(source)),
            Err(e) => {
                let named = flags
                    .and_then(|f| f.module.clone())
                    .or(settings.pkcs11_module.clone());
                (named.unwrap_or_default(), Err(Error::from(e)))
            }
        };

        let key = KeyChoice::from_settings(
            settings.insecure_store_key_file.as_deref(),
            settings.key_store.as_deref(),
        )?;
        let config = Config {
            data_dir: settings
                .data_dir
                .clone()
                .or_else(|| folders::folders(folders::Os::current(), env).map(|f| f.data))
                .unwrap_or_else(|| PathBuf::from("sceau")),
            vault_url: settings.vault_url.clone(),
            vault_ca: settings.vault_ca.clone(),
            module: module_path,
            token: flags
                .and_then(|f| f.token.clone())
                .or(settings.token.clone()),
            key,
            alsace_moselle: settings.alsace_moselle.unwrap_or(false),
        };
        Ok(Resolved {
            config,
            settings,
            module,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_desktop_file_overrides_the_cli_file_field_by_field() {
        let cli: Settings =
            toml::from_str("vault_url = \"https://a\"\ntrust = [\"x.pem\"]\ndata_dir = \"/d\"\n")
                .unwrap();
        let desk: Settings =
            toml::from_str("vault_url = \"https://b\"\ndate_style = \"long\"\n").unwrap();
        let s = cli.overlay(desk);
        assert_eq!(s.vault_url.as_deref(), Some("https://b"));
        assert_eq!(s.data_dir, Some(PathBuf::from("/d")));
        assert_eq!(s.trust, vec![PathBuf::from("x.pem")]);
        assert_eq!(s.date_style, Some(DateStyle::Long));
    }

    #[test]
    fn an_unknown_field_is_refused_with_the_files_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "pkcs11_modul = 3\n").unwrap();
        let e = Settings::read(&path).unwrap_err();
        assert_eq!(e.code(), "app.config_invalid");
        assert!(e.message_fr().contains(&path.display().to_string()));
        let e = Settings::read(&dir.path().join("absent.toml")).unwrap_err();
        assert_eq!(e.code(), "app.config_unreadable");
    }
}
