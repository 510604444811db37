//! The background sync while connected: sync, tell the window, then wait on the vault's event
//! feed (a long poll that answers as soon as something happens: a consultation, a return) or
//! for a wake-up (connection, a deposit), and sync again. Offline, it retries every
//! `sync_interval_s` seconds. The window turns new counts into desktop notifications
//! (`ui/src/lib/notify.ts`) through the notification plugin.

use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager};

use crate::{commands, Shell, DASHBOARD_EVENT, OUTBOX_EVENT};

/// How long one long poll of the feed may wait on the vault, in seconds.
const FEED_WAIT_S: u64 = 25;

/// Starts the task on Tauri's async runtime.
pub fn spawn(handle: AppHandle) {
    tauri::async_runtime::spawn(async move { run(handle).await });
}

/// Sends the current counts and outbox to the window.
pub(crate) fn publish(handle: &AppHandle) {
    let shell = handle.state::<Shell>();
    if let Ok(counts) = commands::counts(&shell) {
        if let Err(e) = handle.emit(DASHBOARD_EVENT, counts) {
            tracing::debug!(error = %e, "dashboard event not sent");
        }
    }
    if let Ok(status) = commands::outbox_status(&shell) {
        if let Err(e) = handle.emit(OUTBOX_EVENT, status) {
            tracing::debug!(error = %e, "outbox event not sent");
        }
    }
}

async fn run(handle: AppHandle) {
    loop {
        let shell = handle.state::<Shell>();
        let interval = Duration::from_secs(
            crate::settings::load()
                .ok()
                .and_then(|s| s.sync_interval_s)
                .unwrap_or(30)
                .max(1),
        );
        let app = match shell.app() {
            Ok(app) if app.session_open() => app,
            _ => {
                shell.wake.notified().await;
                continue;
            }
        };
        let report = match app
            .sync(sceau_app::Auth::Session, sceau_app::ignore(), 0)
            .await
        {
            Ok(report) => report,
            Err(e) => {
                if e.is_offline() {
                    shell.set_online(false);
                }
                tracing::info!(code = %e.code(), "sync failed");
                publish(&handle);
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = shell.wake.notified() => {}
                }
                continue;
            }
        };
        shell.set_online(true);
        tracing::info!(
            events = report.events,
            deliveries = report.deliveries,
            returns = report.returns,
            "sync"
        );
        publish(&handle);
        // Wait for something to sync: new events on the feed, a package due, a wake-up.
        loop {
            let Ok(client) = app.session_vault() else {
                break;
            };
            tokio::select! {
                r = client.events(report.cursor, FEED_WAIT_S) => match r {
                    Ok(page) if !page.events.is_empty() => break,
                    Ok(_) if app.outbox_due(chrono::Utc::now()) => break,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::info!(code = %e.code(), "feed wait failed");
                        if e.is_transient() {
                            shell.set_online(false);
                            publish(&handle);
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(interval) => {}
                            _ = shell.wake.notified() => {}
                        }
                        break;
                    }
                },
                _ = shell.wake.notified() => break,
            }
        }
    }
}
