//! `sceau outbox` and `sceau sync`: the packages waiting on this workstation, and the
//! synchronisation with the vault.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use sceau_app::Auth;
use serde::Serialize;

use crate::engine::{app, credentials, on_workers, progress};
use crate::output::{CliError, Out, EXIT_REMOTE};
use crate::Cli;

// ---------------------------------------------------------------- outbox

/// `sceau outbox ...`
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Lister la file d'envoi.
    List,
    /// Envoyer les actes prêts (coffre-fort joignable et réception ouverte).
    Send,
    /// Annuler un acte non encore déposé.
    Cancel {
        /// Numéro dans la file.
        id: i64,
    },
    /// Remettre en file un acte refusé.
    Retry {
        /// Numéro dans la file.
        id: i64,
    },
}

#[derive(Serialize)]
struct OutboxLine {
    id: i64,
    service_id: i64,
    reference: String,
    state: &'static str,
    attempts: u32,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    deposit_id: Option<String>,
}

/// `sceau outbox`.
pub fn outbox(cli: &Cli, cmd: &OutboxCommand, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    match cmd {
        OutboxCommand::List => {
            let lines: Vec<OutboxLine> = app
                .outbox_view()?
                .into_iter()
                .map(|i| OutboxLine {
                    id: i.id,
                    service_id: i.service_id.0,
                    reference: i.reference,
                    state: i.state.code(),
                    attempts: i.attempts,
                    next_attempt_at: i.next_attempt_at,
                    last_error: i.last_error,
                    deposit_id: i.deposit_id,
                })
                .collect();
            out.emit(&lines, || {
                let mut s = String::new();
                if lines.is_empty() {
                    s.push_str("La file d'envoi est vide.\n");
                }
                for l in &lines {
                    s.push_str(&format!(
                        "{}  {}  {}  essais : {}  {}\n",
                        l.id,
                        l.reference,
                        l.state,
                        l.attempts,
                        l.last_error.as_deref().unwrap_or("")
                    ));
                }
                s
            });
        }
        OutboxCommand::Send => {
            let cred = credentials(cli, &app)?;
            let progress = progress(out.is_json());
            let report =
                on_workers(async move { app.send_outbox(Auth::Pin(&cred), progress).await })?;
            out.emit(&report, || {
                let mut s = format!("{} acte(s) déposé(s).\n", report.sent.len());
                for (id, _, msg) in &report.refused {
                    s.push_str(&format!("Refusé (file n° {id}) : {msg}\n"));
                }
                if report.remaining > 0 {
                    s.push_str(&format!(
                        "{} acte(s) restent en file{}.\n",
                        report.remaining,
                        report
                            .stopped_because
                            .as_deref()
                            .map(|r| format!(" : {r}"))
                            .unwrap_or_default()
                    ));
                }
                s
            });
            // Something left undone (refused, or the vault out of reach): say so in the code.
            if !report.refused.is_empty() || report.stopped_because.is_some() {
                return Ok(ExitCode::from(EXIT_REMOTE));
            }
        }
        OutboxCommand::Cancel { id } => {
            app.outbox_cancel(*id)?;
            out.emit(&serde_json::json!({"cancelled": id}), || {
                format!("Acte n° {id} retiré de la file d'envoi.\n")
            });
        }
        OutboxCommand::Retry { id } => {
            app.outbox_retry(*id)?;
            out.emit(&serde_json::json!({"retry": id}), || {
                format!("Acte n° {id} remis dans la file d'envoi.\n")
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- sync

/// `sceau sync`.
pub fn sync(cli: &Cli, out: &Out, wait_s: u64) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    let cred = credentials(cli, &app)?;
    let progress = progress(out.is_json());
    let report = on_workers(async move { app.sync(Auth::Pin(&cred), progress, wait_s).await })?;
    out.emit(&report, || {
        let mut text = format!(
            "Synchronisé : {} acte(s) déposé(s), {} événement(s), {} remise(s), {} retour(s), {} archive(s) et {} attestation(s) de remise ou retour(s) téléchargé(s).\n",
            report.outbox.sent.len(),
            report.events,
            report.deliveries,
            report.returns,
            report.archives,
            report.files
        );
        for c in &report.consents {
            text.push_str(&format!("{c}\n"));
        }
        if report.files_pending > 0 {
            text.push_str(&format!(
                "Attention : les fichiers de {} dépôt(s) n'ont pas pu être téléchargés ; relancez « sceau sync » plus tard, ils seront repris.\n",
                report.files_pending
            ));
        }
        text
    });
    Ok(ExitCode::SUCCESS)
}
