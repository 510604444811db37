//! Commands of the office's vault, the settings and the session log.

use super::*;

// ------------------------------------------------------------------ office vault

/// Lists a folder of the office's vault ("" = root).
#[tauri::command]
pub async fn vault_list(shell: St<'_>, request: VaultPathRequest) -> ApiResult<Vec<VaultEntry>> {
    let listing = shell
        .app()?
        .vault_list(Auth::Session, &request.path)
        .await?;
    Ok(listing.entries.into_iter().map(VaultEntry::from).collect())
}

/// Creates a folder.
#[tauri::command]
pub async fn vault_mkdir(shell: St<'_>, request: VaultPathRequest) -> ApiResult<()> {
    shell
        .app()?
        .vault_mkdir(Auth::Session, &request.path)
        .await?;
    Ok(())
}

/// Moves an entry into a folder.
#[tauri::command]
pub async fn vault_move(shell: St<'_>, request: VaultMoveRequest) -> ApiResult<()> {
    shell
        .app()?
        .vault_move_into(Auth::Session, &request.from, &request.to)
        .await?;
    Ok(())
}

/// Renames an entry in place (the app's rename rule).
#[tauri::command]
pub async fn vault_rename(shell: St<'_>, request: VaultRenameRequest) -> ApiResult<()> {
    shell
        .app()?
        .vault_rename(Auth::Session, &request.path, &request.new_name)
        .await?;
    Ok(())
}

/// "Éditer propriétés": sets the description and/or sets or extends the retention; answers
/// the entry as it now is.
#[tauri::command]
pub async fn vault_set_properties(
    shell: St<'_>,
    request: VaultPropertiesRequest,
) -> ApiResult<VaultEntry> {
    let e = shell
        .app()?
        .vault_set_properties(
            Auth::Session,
            &request.path,
            request.description.as_deref(),
            request.retain_until,
        )
        .await?;
    Ok(VaultEntry::from(e))
}

/// Deletes an entry (the vault refuses archives under retention).
#[tauri::command]
pub async fn vault_delete(shell: St<'_>, request: VaultPathRequest) -> ApiResult<()> {
    shell
        .app()?
        .vault_delete(Auth::Session, &request.path)
        .await?;
    Ok(())
}

/// Space used.
#[tauri::command]
pub async fn vault_usage(shell: St<'_>) -> ApiResult<VaultUsage> {
    Ok(VaultUsage {
        used: shell.app()?.vault_usage(Auth::Session).await?,
        quota: None,
    })
}

/// Exports a verifiable proof of integrity of a file (JSON, checked by `sceau verify-proof`).
#[tauri::command]
pub async fn vault_proof(
    handle: AppHandle,
    shell: St<'_>,
    request: VaultPathRequest,
) -> ApiResult<SavedFile> {
    let to = Destination::Folder(downloads(&handle)?);
    let (file, _) = shell
        .app()?
        .vault_proof(Auth::Session, &request.path, &to)
        .await?;
    Ok(SavedFile::from(file))
}

/// Downloads a vault file to the download directory.
#[tauri::command]
pub async fn vault_download(
    handle: AppHandle,
    shell: St<'_>,
    request: VaultPathRequest,
) -> ApiResult<SavedFile> {
    let to = Destination::Folder(downloads(&handle)?);
    let file = shell
        .app()?
        .vault_download(Auth::Session, &request.path, &to)
        .await?;
    Ok(SavedFile::from(file))
}

/// The window's view of a transfer's progress (other events are not the transfer's).
fn vault_upload_event(job_id: &str, p: Progress) -> Option<VaultUploadProgress> {
    let Progress::VaultUpload {
        name,
        files_done,
        files_total,
        sent,
        total,
    } = p
    else {
        return None;
    };
    Some(VaultUploadProgress {
        job_id: job_id.to_owned(),
        name,
        files_done: u32::try_from(files_done).unwrap_or(u32::MAX),
        files_total: u32::try_from(files_total).unwrap_or(u32::MAX),
        sent,
        total,
    })
}

/// "Transférer": files of the workstation into a folder of the office's vault (sceau-app's use
/// case), progress on the `vault_upload_progress` event of `job_id`; returns the new entries,
/// as the vault named them, for the screen's message.
#[tauri::command]
pub async fn vault_upload(
    handle: AppHandle,
    shell: St<'_>,
    request: VaultUploadRequest,
    job_id: String,
) -> ApiResult<Vec<VaultEntry>> {
    let paths: Vec<PathBuf> = request.paths.iter().map(PathBuf::from).collect();
    let progress = forward(&handle, VAULT_UPLOAD_EVENT, job_id, vault_upload_event);
    let done = shell
        .app()?
        .vault_upload(Auth::Session, &request.folder, &paths, progress)
        .await?;
    Ok(done
        .into_iter()
        .map(|t| VaultEntry::from(t.entry))
        .collect())
}
// ------------------------------------------------------------------ settings, session log

/// Reads the settings.
#[tauri::command]
pub async fn settings_get() -> ApiResult<Settings> {
    Ok(settings::to_dto(&settings::load()?))
}

/// Saves the settings; a new module, vault address or calendar reopens the application service
/// (the session is closed: connect again).
#[tauri::command]
pub async fn settings_set(shell: St<'_>, request: Settings) -> ApiResult<Settings> {
    let before = settings::load()?;
    settings::save(&request)?;
    let after = settings::load()?;
    if before.pkcs11_module != after.pkcs11_module
        || before.vault_url != after.vault_url
        || before.alsace_moselle != after.alsace_moselle
    {
        if let Ok(app) = shell.app() {
            app.close_session();
        }
        shell.reopen_released().await;
        *crate::lock(&shell.office) = None;
    }
    Ok(settings::to_dto(&after))
}

/// Every action since connection.
#[tauri::command]
pub async fn session_log(shell: St<'_>) -> ApiResult<Vec<SessionLogEntry>> {
    Ok(shell
        .app()?
        .session_log()?
        .into_iter()
        .map(|e| SessionLogEntry {
            at: e.at,
            message: if e.detail.is_empty() {
                e.action
            } else {
                format!("{} — {}", e.action, e.detail)
            },
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn transfer_progress_goes_to_its_job_only() {
        let ev = vault_upload_event(
            "t-1",
            Progress::VaultUpload {
                name: "Relevé.pdf".into(),
                files_done: 1,
                files_total: 3,
                sent: 2 * 1024 * 1024,
                total: 80_000_000,
            },
        )
        .unwrap();
        assert_eq!(
            ev,
            VaultUploadProgress {
                job_id: "t-1".into(),
                name: "Relevé.pdf".into(),
                files_done: 1,
                files_total: 3,
                sent: 2 * 1024 * 1024,
                total: 80_000_000,
            }
        );
        assert!(vault_upload_event(
            "t-1",
            Progress::Upload {
                reference: "R".into(),
                sent: 1,
                total: 2
            }
        )
        .is_none());
    }
}
