//! Files the clerk keeps on the workstation and the window's session: "Enregistrer sous…",
//! a CSV export, "Afficher dans le dossier", "Ouvrir dans le lecteur PDF"; the lock and
//! "Déconnexion".
//!
//! The system's own programs are started through [`crate::system`] (the thin adapter per
//! operating system, its choices tested on every platform). Only files the window itself saved
//! (in the download directory) can be copied or shown: a page cannot make the shell read
//! anything else of the user's.

use std::path::{Path, PathBuf};

use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::DialogExt;

use crate::dto::{PathRequest, SaveTextRequest, SavedFile};
use crate::error::{input, internal, ApiResult};
use crate::{feed, system};

use super::{downloads, St};

/// Environment variable: "Enregistrer sous…" saves into this folder without asking (the
/// window's end-to-end tests, which cannot drive the system's dialog).
pub const ENV_SAVE_AS_DIR: &str = "SCEAU_SAVE_AS_DIR";

/// The largest text the window may write (a CSV export of a year of services is far below).
const MAX_TEXT: usize = 64 * 1024 * 1024;

/// `path` if it is a file the window saved (inside the download directory), canonical.
fn saved_by_us(handle: &AppHandle, path: &str) -> ApiResult<PathBuf> {
    let refused = || {
        input(
            "desktop.not_a_saved_file",
            "Ce fichier n'a pas été enregistré par Sceau : seuls les fichiers téléchargés \
             depuis l'application peuvent être ouverts ou copiés ici."
                .into(),
        )
    };
    let dir = downloads(handle)?.canonicalize().map_err(|_| refused())?;
    let file = Path::new(path).canonicalize().map_err(|_| {
        input(
            "desktop.saved_file_missing",
            "Ce fichier n'est plus dans le dossier des téléchargements (déplacé ou supprimé). \
             Téléchargez-le de nouveau."
                .into(),
        )
    })?;
    if file.starts_with(&dir) && file.is_file() {
        Ok(file)
    } else {
        Err(refused())
    }
}

/// "Enregistrer sous…": the system's save dialog, then a copy there; `None` if cancelled.
#[tauri::command]
pub async fn save_as(handle: AppHandle, request: PathRequest) -> ApiResult<Option<SavedFile>> {
    let from = saved_by_us(&handle, &request.path)?;
    let name = from
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let chosen = match std::env::var_os(ENV_SAVE_AS_DIR).filter(|v| !v.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir).join(&name)),
        None => {
            let dialog = handle
                .dialog()
                .file()
                .set_title("Enregistrer sous…")
                .set_file_name(&name);
            let dialog = match from.parent() {
                Some(dir) => dialog.set_directory(dir),
                None => dialog,
            };
            tauri::async_runtime::spawn_blocking(move || dialog.blocking_save_file())
                .await
                .map_err(internal)?
                .and_then(|p| p.into_path().ok())
        }
    };
    let Some(to) = chosen else {
        return Ok(None);
    };
    if to.canonicalize().is_ok_and(|t| t == from) {
        return Ok(Some(saved_file(&handle, to)));
    }
    std::fs::copy(&from, &to).map_err(|e| {
        input(
            "desktop.save_as_failed",
            format!(
                "Le fichier n'a pas pu être enregistré dans {} ({e}). Choisissez un autre \
                 dossier ou vérifiez qu'il n'est pas ouvert dans un autre programme.",
                to.display()
            ),
        )
    })?;
    tracing::info!("saved a copy with Enregistrer sous");
    Ok(Some(saved_file(&handle, to)))
}

/// The answer for a file saved at `path`; its folder is opened to the viewer.
fn saved_file(handle: &AppHandle, path: PathBuf) -> SavedFile {
    if let Some(dir) = path.parent() {
        let _ = handle.asset_protocol_scope().allow_directory(dir, false);
    }
    SavedFile::at(&path)
}

/// Writes a text made by the window (a CSV export) into the download directory, under a
/// cleaned name that never overwrites an earlier export.
#[tauri::command]
pub async fn save_text(handle: AppHandle, request: SaveTextRequest) -> ApiResult<SavedFile> {
    if request.contents.len() > MAX_TEXT {
        return Err(input(
            "desktop.export_too_large",
            "L'export est trop volumineux pour un seul fichier. Resserrez les critères de \
             recherche (par exemple une période plus courte) puis recommencez."
                .into(),
        ));
    }
    let dir = downloads(&handle)?;
    let path = free_name(&dir, &sceau_app::download_file_name(&request.file_name));
    std::fs::write(&path, request.contents.as_bytes()).map_err(|e| {
        input(
            "desktop.export_failed",
            format!(
                "L'export n'a pas pu être écrit dans {} ({e}). Vérifiez la place libre sur \
                 le disque puis recommencez.",
                dir.display()
            ),
        )
    })?;
    Ok(saved_file(&handle, path))
}

/// `dir/name`, or `dir/stem (2).ext`… when it is taken.
fn free_name(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
        _ => (name, String::new()),
    };
    (2..)
        .map(|n| dir.join(format!("{stem} ({n}){ext}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// "Afficher dans le dossier": the system's file manager on the file's folder.
#[tauri::command]
pub async fn reveal(handle: AppHandle, request: PathRequest) -> ApiResult<()> {
    let file = saved_by_us(&handle, &request.path)?;
    system::run(&system::reveal(system::Os::current(), &file))
}

/// "Ouvrir dans le lecteur PDF": the file in the system's program for its type (to print it,
/// annotate it or attach it to a mail).
#[tauri::command]
pub async fn open_external(handle: AppHandle, request: PathRequest) -> ApiResult<()> {
    let file = saved_by_us(&handle, &request.path)?;
    system::run(&system::open(system::Os::current(), &file))
}

/// Locks the window (idle time or "Verrouiller"): the vault session and the key it holds are
/// closed; the PIN opens a new one. Work already handed to the application goes on.
#[tauri::command]
pub async fn lock(handle: AppHandle, shell: St<'_>) -> ApiResult<()> {
    shell.app()?.close_session();
    tracing::info!("window locked");
    feed::publish(&handle);
    Ok(())
}

/// "Déconnexion": as the lock, and the office is forgotten until the next connection.
#[tauri::command]
pub async fn logout(handle: AppHandle, shell: St<'_>) -> ApiResult<()> {
    shell.app()?.close_session();
    *crate::lock(&shell.office) = None;
    tracing::info!("logged out");
    feed::publish(&handle);
    Ok(())
}

/// Lets the viewer load the files saved in the download directory.
pub(crate) fn allow_viewer(handle: &AppHandle) {
    if let Ok(dir) = downloads(handle) {
        let _ = handle.asset_protocol_scope().allow_directory(dir, true);
    }
}

/// "Afficher le journal" (Aide): the folder of `sceau.log` in the system's file manager, for
/// support. The log holds no PIN and no personal data.
#[tauri::command]
pub async fn reveal_logs() -> ApiResult<()> {
    let dir = sceau_app::folders::user_folders()
        .map(|f| f.logs)
        .ok_or_else(|| {
            input(
                "desktop.no_log_dir",
                "Le dossier du journal est introuvable sur ce poste. Contactez le support.".into(),
            )
        })?;
    std::fs::create_dir_all(&dir).map_err(|e| {
        input(
            "desktop.log_dir",
            format!(
                "Le dossier du journal {} ne peut pas être créé ({e}).",
                dir.display()
            ),
        )
    })?;
    system::run(&system::reveal(
        system::Os::current(),
        &dir.join("sceau.log"),
    ))
}
