//! The Sceau desktop application: a thin Tauri 2 shell over `sceau-app` for the `ui/` front
//! end. Every command (`commands.rs`) converts its request, calls one use case and converts the
//! answer (`dto.rs`, generated to TypeScript); errors reach the window as `{code, message}`.
//!
//! The window's session: the PIN is typed at connection and the app keeps the vault client of
//! the logged-in token for the session (`sceau_app::App::open_session`); the shell never keeps
//! a PIN. A background task (`feed.rs`) follows the vault's event feed while connected, syncs,
//! and tells the window (`dashboard_changed`, `outbox_changed`) and the desktop (notifications
//! of new deliveries and returns).

mod commands;
pub mod dto;
mod error;
mod feed;
pub mod settings;
mod system;
mod webview;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use sceau_app::App;

pub use error::{ApiError, ApiResult};

/// Event: the six steps' progress (`dto::StepEvent`).
pub const STEP_EVENT: &str = "signify_step";
/// Event carrying the progress of an EDI import (`dto::EdiProgress`).
pub const EDI_EVENT: &str = "edi_progress";
/// Event carrying the progress of a "Transférer" (`dto::VaultUploadProgress`).
pub const VAULT_UPLOAD_EVENT: &str = "vault_upload_progress";
/// Event: the outbox or the connectivity changed (`dto::OutboxStatus`).
pub const OUTBOX_EVENT: &str = "outbox_changed";
/// Event: the unseen counts changed (`dto::DashboardCounts`).
pub const DASHBOARD_EVENT: &str = "dashboard_changed";

/// The shell's state: the application service (reopened when the settings change), the
/// office seen at connection, whether the vault answered lately. No PIN, ever.
pub struct Shell {
    app: Mutex<Option<Arc<App>>>,
    open_error: Mutex<Option<ApiError>>,
    office: Mutex<Option<dto::Office>>,
    online: AtomicBool,
    /// Wakes the feed task (connection, a deposit).
    wake: tokio::sync::Notify,
}

impl Shell {
    /// Opens the application service from the settings; a failure is kept and returned by
    /// every command (the window still opens and says what is wrong).
    pub fn load() -> Shell {
        let shell = Shell {
            app: Mutex::new(None),
            open_error: Mutex::new(None),
            office: Mutex::new(None),
            online: AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
        };
        shell.reopen();
        shell
    }

    /// (Re)opens the application service from the stored settings.
    fn reopen(&self) {
        // The old service is dropped first: its store and key module are released.
        *lock(&self.app) = None;
        let result = settings::resolve().and_then(|resolved| {
            // Without a module the window still opens; key detection then says "missing".
            if let Err(e) = &resolved.module {
                tracing::warn!(code = %e.code(), "no PKCS#11 module");
            }
            App::open(resolved.config).map_err(ApiError::from)
        });
        match result {
            Ok(app) => {
                *lock(&self.app) = Some(Arc::new(app));
                *lock(&self.open_error) = None;
            }
            Err(e) => {
                tracing::warn!(code = %e.code, "application service not opened");
                *lock(&self.open_error) = Some(e);
            }
        }
    }

    /// Reopens the application service once the background task has let go of the old one:
    /// the data directory stays locked while any clone of the old service lives, and a second
    /// `App::open` would be refused.
    pub(crate) async fn reopen_released(&self) {
        let old = lock(&self.app).take();
        if let Some(old) = old {
            let released = Arc::downgrade(&old);
            drop(old);
            // The feed task drops its clone when woken (or when its sync ends).
            self.wake.notify_waiters();
            for _ in 0..100 {
                if released.strong_count() == 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        self.reopen();
    }

    /// The application service, or why it could not be opened.
    pub fn app(&self) -> ApiResult<Arc<App>> {
        if let Some(app) = lock(&self.app).clone() {
            return Ok(app);
        }
        Err(lock(&self.open_error).clone().unwrap_or_else(|| ApiError {
            code: "desktop.not_ready".into(),
            message: "L'application n'est pas prête : vérifiez les paramètres puis redémarrez-la."
                .into(),
        }))
    }

    /// Records whether the vault answered.
    fn set_online(&self, online: bool) {
        self.online.store(online, Ordering::Relaxed);
    }

    /// Whether the vault answered lately.
    fn online(&self) -> bool {
        self.online.load(Ordering::Relaxed)
    }
}

/// Locks a mutex; a panic elsewhere never leaves these values half written.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `sceau.log` in the user's log folder, opened for appending (private to the user).
fn log_file() -> Option<std::fs::File> {
    let dir = sceau_app::folders::user_folders()?.logs;
    std::fs::create_dir_all(&dir).ok()?;
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(dir.join("sceau.log")).ok()
}

/// Starts the window.
pub fn run() {
    webview::prepare_environment();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SCEAU_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_ansi(false);
    // A window has no terminal on Windows and macOS: the log also goes to the system's log
    // folder (`sceau_app::folders`), for support.
    let _ = match log_file() {
        Some(file) => {
            use tracing_subscriber::fmt::writer::MakeWriterExt;
            logs.with_writer(std::io::stderr.and(Mutex::new(file)))
                .try_init()
        }
        None => logs.with_writer(std::io::stderr).try_init(),
    };
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .manage(Shell::load())
        .invoke_handler(tauri::generate_handler![
            commands::token_status,
            commands::connect,
            commands::bind_certificate,
            commands::dashboard_counts,
            commands::dashboard_page,
            commands::mark_seen,
            commands::search_recipients,
            commands::natures_list,
            commands::reception_status,
            commands::preview_documents,
            commands::document_facts,
            commands::signify,
            commands::edi_import,
            commands::outbox_list,
            commands::outbox_send,
            commands::records::search_services,
            commands::records::service_detail,
            commands::records::download,
            commands::records::letter,
            commands::records::history_pdf,
            commands::vault::vault_list,
            commands::vault::vault_mkdir,
            commands::vault::vault_move,
            commands::vault::vault_rename,
            commands::vault::vault_set_properties,
            commands::vault::vault_delete,
            commands::vault::vault_usage,
            commands::vault::vault_proof,
            commands::vault::vault_download,
            commands::vault::vault_upload,
            commands::vault::settings_get,
            commands::vault::settings_set,
            commands::vault::session_log,
            commands::consent::add_recipient,
            commands::consent::consent_overview,
            commands::consent::invite_recipient,
            commands::consent::invitation_action,
            commands::files::save_as,
            commands::files::save_text,
            commands::files::reveal,
            commands::files::open_external,
            commands::files::lock,
            commands::files::logout,
            commands::files::reveal_logs,
        ])
        .setup(|app| {
            use tauri::Manager;
            if let Some(window) = app.get_webview_window("main") {
                webview::tune(&window);
            }
            commands::files::allow_viewer(app.handle());
            feed::spawn(app.handle().clone());
            Ok(())
        })
        .build(tauri::generate_context!());
    match result {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                use tauri::Manager;
                if let Ok(app) = handle.state::<Shell>().app() {
                    app.close_session();
                    if let Err(e) = app.checkpoint() {
                        tracing::warn!(code = %e.code(), "store checkpoint at exit");
                    }
                }
            }
        }),
        Err(e) => {
            eprintln!("Sceau n'a pas pu démarrer : {e}");
            std::process::exit(1);
        }
    }
}
