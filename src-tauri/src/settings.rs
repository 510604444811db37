//! The window's configuration: the CLI's file (`~/.config/sceau/config.toml`) gives the
//! defaults, the desktop's own file (`desktop.toml` beside it, written by "Paramètres") overrides
//! them, and the CLI's environment variables override both — so the window and `sceau` agree on
//! the data directory, the vault, its CA and the PKCS#11 module.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::dto::{DateStyle, Settings};
use crate::error::ApiResult;
use crate::error::{input, ApiError};

/// Environment variable: the desktop's settings file (tests, demo).
pub const ENV_SETTINGS: &str = "SCEAU_DESKTOP_SETTINGS";
/// Environment variable: the CLI's configuration file.
pub const ENV_CLI_CONFIG: &str = "SCEAU_CONFIG";
/// Environment variable: where downloads are saved (else the user's download directory).
pub const ENV_DOWNLOADS: &str = "SCEAU_DOWNLOAD_DIR";

/// Every field of both files; all optional, unknown fields ignored (the CLI's file has more).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSettings {
    /// PKCS#11 module.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkcs11_module: Option<PathBuf>,
    /// Token label or serial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Vault address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_url: Option<String>,
    /// Vault CA certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_ca: Option<PathBuf>,
    /// Local store directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// Tests and demos only: the store's key in a plain file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure_store_key_file: Option<PathBuf>,
    /// `secret-service` or `keyutils`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_store: Option<String>,
    /// Dates in numbers or words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_style: Option<DateStyle>,
    /// Alsace-Moselle calendar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alsace_moselle: Option<bool>,
    /// Seconds between two background syncs when the vault's feed cannot wait (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_interval_s: Option<u64>,
}

impl FileSettings {
    /// `other`'s fields where it has them, else ours.
    fn overlay(self, other: FileSettings) -> FileSettings {
        FileSettings {
            pkcs11_module: other.pkcs11_module.or(self.pkcs11_module),
            token: other.token.or(self.token),
            vault_url: other.vault_url.or(self.vault_url),
            vault_ca: other.vault_ca.or(self.vault_ca),
            data_dir: other.data_dir.or(self.data_dir),
            insecure_store_key_file: other
                .insecure_store_key_file
                .or(self.insecure_store_key_file),
            key_store: other.key_store.or(self.key_store),
            date_style: other.date_style.or(self.date_style),
            alsace_moselle: other.alsace_moselle.or(self.alsace_moselle),
            sync_interval_s: other.sync_interval_s.or(self.sync_interval_s),
        }
    }
}

fn env(k: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(k).filter(|v| !v.is_empty())
}

fn config_dir() -> Option<PathBuf> {
    sceau_app::folders::user_folders().map(|f| f.config)
}

/// The desktop's own settings file.
pub fn desktop_file() -> Option<PathBuf> {
    env(ENV_SETTINGS)
        .map(PathBuf::from)
        .or_else(|| config_dir().map(|d| d.join("desktop.toml")))
}

fn cli_file() -> Option<PathBuf> {
    env(ENV_CLI_CONFIG)
        .map(PathBuf::from)
        .or_else(|| config_dir().map(|d| d.join("config.toml")))
}

fn read(path: Option<&Path>) -> ApiResult<FileSettings> {
    let Some(path) = path.filter(|p| p.is_file()) else {
        return Ok(FileSettings::default());
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        input(
            "desktop.settings_unreadable",
            format!(
                "Le fichier de paramètres {} est illisible ({e}). Vérifiez ses droits.",
                path.display()
            ),
        )
    })?;
    toml::from_str(&text).map_err(|e| {
        input(
            "desktop.settings_invalid",
            format!(
                "Le fichier de paramètres {} est incorrect : {}. Corrigez-le ou supprimez-le.",
                path.display(),
                e.message()
            ),
        )
    })
}

/// The stored settings: the CLI's file, then the desktop's, then the environment.
pub fn load() -> ApiResult<FileSettings> {
    let base = read(cli_file().as_deref())?.overlay(read(desktop_file().as_deref())?);
    Ok(base.overlay(FileSettings {
        pkcs11_module: env(sceau_app::pkcs11_module::ENV_MODULE).map(PathBuf::from),
        vault_url: env("SCEAU_VAULT_URL").map(|v| v.to_string_lossy().into_owned()),
        vault_ca: env("SCEAU_VAULT_CA").map(PathBuf::from),
        data_dir: env("SCEAU_DATA_DIR").map(PathBuf::from),
        ..FileSettings::default()
    }))
}

/// What "Paramètres" shows.
pub fn to_dto(s: &FileSettings) -> Settings {
    Settings {
        pkcs11_module: s
            .pkcs11_module
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        vault_url: s.vault_url.clone().unwrap_or_default(),
        date_style: s.date_style.unwrap_or_default(),
        alsace_moselle: s.alsace_moselle.unwrap_or(false),
    }
}

/// Saves what "Paramètres" changed into the desktop's file (other fields kept).
pub fn save(new: &Settings) -> ApiResult<()> {
    let path = desktop_file().ok_or_else(|| {
        input(
            "desktop.no_config_dir",
            "Le dossier de configuration est introuvable (variable HOME absente). Définissez-la \
             puis recommencez."
                .into(),
        )
    })?;
    if !new.vault_url.is_empty() && !new.vault_url.starts_with("https://") {
        return Err(input(
            "desktop.bad_vault_url",
            "L'adresse du coffre-fort doit commencer par https://. Corrigez-la.".into(),
        ));
    }
    let mut stored = read(Some(&path))?;
    stored.pkcs11_module =
        (!new.pkcs11_module.trim().is_empty()).then(|| PathBuf::from(new.pkcs11_module.trim()));
    stored.vault_url = (!new.vault_url.trim().is_empty()).then(|| new.vault_url.trim().to_owned());
    stored.date_style = Some(new.date_style);
    stored.alsace_moselle = Some(new.alsace_moselle);
    let text = toml::to_string(&stored).map_err(|e| ApiError {
        code: "desktop.settings_write".into(),
        message: format!("Les paramètres n'ont pas pu être enregistrés ({e})."),
    })?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| write_error(&path, e))?;
    }
    std::fs::write(&path, text).map_err(|e| write_error(&path, e))?;
    Ok(())
}

fn write_error(path: &Path, e: std::io::Error) -> ApiError {
    input(
        "desktop.settings_write",
        format!(
            "Les paramètres n'ont pas pu être enregistrés dans {} ({e}). Vérifiez les droits du \
             dossier.",
            path.display()
        ),
    )
}

/// The user's data directory for the local store (as the CLI).
pub fn default_data_dir() -> PathBuf {
    sceau_app::folders::user_folders()
        .map(|f| f.data)
        .unwrap_or_else(|| PathBuf::from("sceau"))
}

/// The application service's configuration from the settings. The module is resolved as the
/// CLI does; when none is found the path stays empty and key detection says "missing".
pub fn app_config(s: &FileSettings) -> ApiResult<sceau_app::Config> {
    let module = match sceau_app::pkcs11_module::resolve(None, None, s.pkcs11_module.as_deref()) {
        Ok((p, _)) => p,
        Err(e) => {
            tracing::warn!(code = %e.code(), "no PKCS#11 module");
            s.pkcs11_module.clone().unwrap_or_default()
        }
    };
    let key = sceau_app::KeyChoice::from_settings(
        s.insecure_store_key_file.as_deref(),
        s.key_store.as_deref(),
    )
    .map_err(|e| ApiError::from(sceau_app::Error::from(e)))?;
    Ok(sceau_app::Config {
        data_dir: s.data_dir.clone().unwrap_or_else(default_data_dir),
        vault_url: s.vault_url.clone(),
        vault_ca: s.vault_ca.clone(),
        module,
        token: s.token.clone(),
        key,
        alsace_moselle: s.alsace_moselle.unwrap_or(false),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_desktop_file_overrides_the_cli_file_and_keeps_unknown_cli_fields_harmless() {
        let cli: FileSettings =
            toml::from_str("vault_url = \"https://a\"\ntrust = [\"x.pem\"]\ndata_dir = \"/d\"\n")
                .unwrap();
        let desk: FileSettings =
            toml::from_str("vault_url = \"https://b\"\ndate_style = \"long\"\n").unwrap();
        let s = cli.overlay(desk);
        assert_eq!(s.vault_url.as_deref(), Some("https://b"));
        assert_eq!(s.data_dir, Some(PathBuf::from("/d")));
        assert_eq!(to_dto(&s).date_style, DateStyle::Long);
    }
}
