//! The portal's audit trail, written by one task, and the gate that closes the portal while it
//! cannot record.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;

use super::html::page;
use crate::store::meta;
use crate::Vault;

/// The portal's audit trail: every access is queued here and written by one task, many lines
/// per transaction (a commit per request would put an fsync on every page). The queue is
/// bounded ([`AUDIT_QUEUE`] lines) and the portal fails closed: while it is full, or since the
/// last write failed, requests are answered 503 ([`audit_gate`]) — no access goes unrecorded.
#[derive(Clone)]
pub struct AuditLog {
    tx: tokio::sync::mpsc::Sender<AuditMsg>,
    /// Whether the last write succeeded.
    healthy: Arc<std::sync::atomic::AtomicBool>,
}

/// Audit lines waiting to be written, at most.
pub const AUDIT_QUEUE: usize = 10_000;

enum AuditMsg {
    Line {
        at: chrono::DateTime<chrono::Utc>,
        recipient: Option<String>,
        action: String,
        deposit: Option<String>,
        ok: bool,
    },
    Flush(tokio::sync::oneshot::Sender<()>),
}

impl AuditLog {
    /// Starts the writer task (on the current tokio runtime).
    pub fn start(vault: Arc<Vault>) -> AuditLog {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<AuditMsg>(AUDIT_QUEUE);
        let healthy = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let health = healthy.clone();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < 1000 {
                    match rx.try_recv() {
                        Ok(m) => batch.push(m),
                        Err(_) => break,
                    }
                }
                let mut lines = Vec::new();
                let mut flushes = Vec::new();
                for m in batch {
                    match m {
                        AuditMsg::Line {
                            at,
                            recipient,
                            action,
                            deposit,
                            ok,
                        } => lines.push((at, recipient, action, deposit, ok)),
                        AuditMsg::Flush(done) => flushes.push(done),
                    }
                }
                if !lines.is_empty() {
                    let written = vault
                        .db(move |sql| {
                            for (at, r, a, d, ok) in &lines {
                                meta::insert_audit(sql, *at, r.as_deref(), a, d.as_deref(), *ok)?;
                            }
                            Ok(())
                        })
                        .await;
                    if let Err(e) = &written {
                        tracing::error!(code = e.code(), "audit write failed");
                    }
                    health.store(written.is_ok(), std::sync::atomic::Ordering::SeqCst);
                }
                for f in flushes {
                    let _ = f.send(());
                }
            }
        });
        AuditLog { tx, healthy }
    }

    /// Whether accesses can be recorded now (the last write succeeded and the queue has room).
    pub fn accepting(&self) -> bool {
        self.healthy.load(std::sync::atomic::Ordering::SeqCst) && self.tx.capacity() > 0
    }

    /// Queues one audit line (and logs it without personal data).
    pub fn record(
        &self,
        vault: &Vault,
        recipient: Option<&str>,
        action: &str,
        deposit: Option<&str>,
        ok: bool,
    ) {
        tracing::info!(action, ok, "portal access");
        // Full only under a flood the gate is already refusing: the line is logged above.
        let _ = self.tx.try_send(AuditMsg::Line {
            at: vault.clock.now(),
            recipient: recipient.map(str::to_owned),
            action: action.to_owned(),
            deposit: deposit.map(str::to_owned),
            ok,
        });
    }

    /// Waits until every line queued before this call is written.
    pub async fn flush(&self) {
        let (done, wait) = tokio::sync::oneshot::channel();
        if self.tx.send(AuditMsg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// Refuses every portal request (503) while the audit trail cannot record it; the refusal
/// itself is queued when there is room, so that the first successful write reopens the portal.
pub async fn audit_gate(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if log.accepting() {
        return next.run(req).await;
    }
    log.record(&vault, None, "audit_unavailable", None, false);
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Service momentanément indisponible",
        "<p class=\"erreur\">Le portail ne peut pas enregistrer votre accès pour le moment : \
         réessayez dans quelques minutes.</p>",
    )
}
