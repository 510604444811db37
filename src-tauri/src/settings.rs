//! The window's settings over the application's one configuration rule
//! (`sceau_app::Config::resolve` with `Face::Window`, the CLI's rule plus `desktop.toml`, which
//! "Paramètres" writes) — so that the window and `sceau` agree on the data directory, the vault,
//! its CA, the PKCS#11 module and the key store.

use std::path::PathBuf;

use sceau_app::{Face, Resolved};

use crate::dto::Settings;
use crate::error::{input, ApiError, ApiResult};

/// Environment variable: where downloads are saved (else the user's download directory).
pub const ENV_DOWNLOADS: &str = "SCEAU_DOWNLOAD_DIR";

/// The configuration as the window sees it.
pub fn resolve() -> ApiResult<Resolved> {
    sceau_app::Config::resolve(&Face::Window, &sceau_app::process_env).map_err(ApiError::from)
}

/// The window's settings (files and environment), without looking up the module or the key
/// store: "Paramètres" opens even when they are wrong, so that they can be corrected.
pub fn load() -> ApiResult<sceau_app::Settings> {
    Ok(sceau_app::Settings::load(
        &Face::Window,
        &sceau_app::process_env,
    )?)
}

/// What "Paramètres" shows.
pub fn to_dto(s: &sceau_app::Settings) -> Settings {
    Settings {
        pkcs11_module: s
            .pkcs11_module
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        vault_url: s.vault_url.clone().unwrap_or_default(),
        date_style: s.date_style.unwrap_or_default().into(),
        alsace_moselle: s.alsace_moselle.unwrap_or(false),
        lock_after_min: s
            .lock_after_min
            .unwrap_or(sceau_app::DEFAULT_LOCK_AFTER_MIN),
    }
}

/// Saves what "Paramètres" changed into the desktop's file (other fields kept).
pub fn save(new: &Settings) -> ApiResult<()> {
    let path = sceau_app::desktop_file(&sceau_app::process_env).ok_or_else(|| {
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
    let mut stored = sceau_app::Settings::read_if_present(Some(&path))?;
    stored.pkcs11_module =
        (!new.pkcs11_module.trim().is_empty()).then(|| PathBuf::from(new.pkcs11_module.trim()));
    stored.vault_url = (!new.vault_url.trim().is_empty()).then(|| new.vault_url.trim().to_owned());
    stored.date_style = Some(new.date_style.into());
    stored.alsace_moselle = Some(new.alsace_moselle);
    if new.lock_after_min > 24 * 60 {
        return Err(input(
            "desktop.bad_lock_after",
            "Le verrouillage automatique se règle entre 0 (jamais) et 1440 minutes (24 heures). \
             Corrigez la durée."
                .into(),
        ));
    }
    stored.lock_after_min = Some(new.lock_after_min);
    Ok(stored.write(&path)?)
}
