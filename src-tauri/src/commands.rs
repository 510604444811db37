//! The commands, one per method of the front end's `Backend` (`ui/src/lib/api.ts`), named as
//! it invokes them. Each converts its request, calls `sceau-app` and converts the answer; token
//! and vault work is async (Tauri runs async commands off the main thread) or in
//! `spawn_blocking`, so the window never waits on the key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use sceau_app::{
    Auth, Credentials, Destination, FinalTry, NotificationCategory, Pin, Progress,
    StepStatus as AppStepStatus,
};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::dto::*;
use crate::error::{input, internal, ApiResult};
use crate::{feed, settings, Shell, EDI_EVENT, STEP_EVENT, VAULT_UPLOAD_EVENT};

pub(crate) mod consent;
pub(crate) mod files;
pub(crate) mod records;
pub(crate) mod vault;

type St<'a> = State<'a, Shell>;

// ------------------------------------------------------------------ helpers

fn parse_id(what: &str, id: &str) -> ApiResult<i64> {
    id.trim().parse().map_err(|_| {
        input(
            "desktop.bad_id",
            format!("Identifiant de {what} invalide : « {id} ». Rouvrez la liste et recommencez."),
        )
    })
}

fn page_of(offset: u32) -> usize {
    offset as usize / sceau_app::PAGE_SIZE
}

fn day(what: &str, s: &Option<String>) -> ApiResult<Option<NaiveDate>> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                input(
                    "desktop.bad_date",
                    format!("La date {what} « {s} » est invalide : écrivez-la jj/mm/aaaa."),
                )
            }),
    }
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Where downloads are saved: `SCEAU_DOWNLOAD_DIR`, else the user's download directory.
fn downloads(handle: &AppHandle) -> ApiResult<PathBuf> {
    let dir = std::env::var_os(settings::ENV_DOWNLOADS)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| handle.path().download_dir().ok())
        .ok_or_else(|| {
            input(
                "desktop.no_download_dir",
                "Le dossier des téléchargements est introuvable. Définissez-le dans votre \
                 session puis recommencez."
                    .into(),
            )
        })?;
    std::fs::create_dir_all(&dir).map_err(|e| {
        input(
            "desktop.download_dir",
            format!("Le dossier {} ne peut pas être créé ({e}).", dir.display()),
        )
    })?;
    Ok(dir)
}

/// The unseen counts (also sent by the feed task).
pub(crate) fn counts(shell: &Shell) -> ApiResult<DashboardCounts> {
    let c = shell.app()?.dashboard_counts()?;
    Ok(DashboardCounts {
        awaiting_consultation: c.awaiting_consultation,
        in_person: c.delivered_in_person,
        at_home: c.delivered_at_home,
        returns: c.return_awaiting_consultation,
    })
}

/// The outbox and connectivity (also sent by the feed task).
pub(crate) fn outbox_status(shell: &Shell) -> ApiResult<OutboxStatus> {
    let app = shell.app()?;
    let mut items = Vec::new();
    for i in app.outbox_view()? {
        let state = match i.state {
            sceau_app::OutboxState::Prepared => OutboxState::Prepared,
            sceau_app::OutboxState::Uploading => OutboxState::Uploading,
            sceau_app::OutboxState::Failed => OutboxState::Failed,
            sceau_app::OutboxState::Deposited => continue,
        };
        items.push(OutboxItem {
            id: i.id.to_string(),
            reference: i.reference,
            recipient: i.recipient_name,
            state,
            prepared_at: i.created_at,
            last_error: i.last_error,
        });
    }
    Ok(OutboxStatus {
        online: shell.online(),
        items,
    })
}

fn track_online<T>(shell: &Shell, r: &Result<T, sceau_app::Error>) {
    match r {
        Ok(_) => shell.set_online(true),
        Err(e) if e.is_offline() => shell.set_online(false),
        Err(_) => {}
    }
}

fn credentials(pin: String, confirm_final_try: bool) -> Credentials {
    Credentials {
        pin: Pin::new(pin),
        final_try: if confirm_final_try {
            FinalTry::Confirmed
        } else {
            FinalTry::Refuse
        },
    }
}

// ------------------------------------------------------------------ key and session

/// Key detection: module, plugged keys, certificates, PIN state.
#[tauri::command]
pub async fn token_status(shell: St<'_>) -> ApiResult<TokenStatus> {
    let status = shell.app()?.token_status().await?;
    let module_path =
        (!status.module.as_os_str().is_empty()).then(|| status.module.display().to_string());
    Ok(TokenStatus {
        module: if status.module_loaded {
            ModuleState::Ok
        } else {
            ModuleState::Missing
        },
        module_path,
        tokens: status
            .tokens
            .into_iter()
            .map(|(t, certs)| TokenInfo {
                serial: t.serial,
                label: t.label,
                pin: PinState {
                    tries_left: None,
                    count_low: t.pin.count_low,
                    final_try: t.pin.final_try,
                    locked: t.pin.locked,
                },
                certificates: certs.iter().map(CertificateInfo::from).collect(),
            })
            .collect(),
    })
}

/// Logs in on the key and opens the vault session (the PIN lives only for this call).
#[tauri::command]
pub async fn connect(
    handle: AppHandle,
    shell: St<'_>,
    request: ConnectRequest,
) -> ApiResult<Session> {
    let app = shell.app()?;
    let cred = credentials(request.pin, request.confirm_final_try);
    let chosen = nonempty(&Some(request.certificate_serial));
    let r = app.open_session(&cred, chosen.as_deref()).await;
    drop(cred);
    track_online(&shell, &r);
    let session = Session::from(r?);
    *crate::lock(&shell.office) = session.office.clone();
    shell.wake.notify_one();
    feed::publish(&handle);
    Ok(session)
}

/// First connection: binds the certificate to the office's space.
#[tauri::command]
pub async fn bind_certificate(shell: St<'_>, request: BindRequest) -> ApiResult<Session> {
    let number = request.office_number.trim().to_owned();
    if number.is_empty() {
        return Err(input(
            "desktop.no_office_number",
            "Indiquez le numéro de votre étude.".into(),
        ));
    }
    let app = shell.app()?;
    let session = Session::from(
        app.bind_session(&sceau_app::NewOffice::new(
            &number,
            Some(&request.office_name),
        ))
        .await?,
    );
    *crate::lock(&shell.office) = session.office.clone();
    shell.wake.notify_one();
    Ok(session)
}

/// A progress sink that sends the events of job `job_id` that `convert` keeps to the window as
/// `event` (a lost event is only logged: the command's result still comes).
fn forward<E: serde::Serialize + Clone + 'static>(
    handle: &AppHandle,
    event: &'static str,
    job_id: String,
    convert: fn(&str, Progress) -> Option<E>,
) -> sceau_app::ProgressSink {
    let emitter = handle.clone();
    Arc::new(move |p| {
        if let Some(ev) = convert(&job_id, p) {
            if let Err(e) = emitter.emit(event, ev) {
                tracing::debug!(error = %e, event, "progress event not sent");
            }
        }
    })
}

// ------------------------------------------------------------------ dashboard

/// Unseen counts of the four categories.
#[tauri::command]
pub async fn dashboard_counts(shell: St<'_>) -> ApiResult<DashboardCounts> {
    counts(&shell)
}

/// One page of a category's unseen notifications, under the list's free filter
/// (`App::dashboard_page_matching`).
#[tauri::command]
pub async fn dashboard_page(
    shell: St<'_>,
    request: DashboardPageRequest,
) -> ApiResult<Page<NotificationRow>> {
    let app = shell.app()?;
    let found = app.dashboard_page_matching(
        NotificationCategory::from(request.category),
        &request.filter,
        page_of(request.offset),
    )?;
    Ok(Page {
        has_more: found.has_more,
        items: found
            .items
            .into_iter()
            .map(|n| NotificationRow {
                id: n.id.to_string(),
                service_id: n.service_id.0.to_string(),
                reference: n.reference,
                date: n.at,
                file: n.file.unwrap_or_default(),
                recipient: n.recipient_name,
                event: n.event,
            })
            .collect(),
    })
}

/// Marks a notification seen (the eye).
#[tauri::command]
pub async fn mark_seen(
    handle: AppHandle,
    shell: St<'_>,
    request: MarkSeenRequest,
) -> ApiResult<()> {
    let id = parse_id("notification", &request.notification_id)?;
    shell.app()?.mark_seen(id)?;
    feed::publish(&handle);
    Ok(())
}

// ------------------------------------------------------------------ recipients, natures

/// Recipients matching a SIRET/SIREN, a name or a NIR (the local cache when offline).
#[tauri::command]
pub async fn search_recipients(
    shell: St<'_>,
    request: RecipientQuery,
) -> ApiResult<Vec<Recipient>> {
    let app = shell.app()?;
    let r = app
        .search_recipients(&request.query, Some(Auth::Session))
        .await;
    track_online(&shell, &r);
    Ok(r?.into_iter().map(Recipient::from).collect())
}

/// The catalogue of natures of acts (the one shipped with the application, as the vault's).
#[tauri::command]
pub async fn natures_list() -> ApiResult<Vec<Nature>> {
    let c = sceau_app::NatureCatalogue::shipped().map_err(internal)?;
    Ok(c.natures
        .iter()
        .map(|n| Nature {
            code: n.code.clone(),
            label: n.label_fr.clone(),
            return_expected: n.expects_return,
        })
        .collect())
}

/// Whether the recipient accepts this nature now (the vault's answer, with its French
/// message); offline, the answer is unknown and service is not blocked here.
#[tauri::command]
pub async fn reception_status(
    shell: St<'_>,
    request: ReceptionRequest,
) -> ApiResult<ReceptionStatus> {
    let app = shell.app()?;
    let r = app
        .recipient_card(
            &request.recipient_id,
            Some(&request.nature),
            None,
            Auth::Session,
        )
        .await;
    track_online(&shell, &r);
    Ok(r?
        .reception
        .map(|s| ReceptionStatus::from(sceau_app::Reception::from(&s)))
        .unwrap_or(ReceptionStatus {
            open: true,
            reason: None,
            message: None,
            next_opening: None,
            time_zone: "Europe/Paris".into(),
            zone_named: None,
        }))
}

// ------------------------------------------------------------------ service

/// Converts the acts for preview before deposit.
#[tauri::command]
pub async fn preview_documents(
    shell: St<'_>,
    request: PreviewRequest,
) -> ApiResult<Vec<PreviewDocument>> {
    let app = shell.app()?;
    let files: Vec<PathBuf> = request.documents.iter().map(PathBuf::from).collect();
    let out = app.preview_documents(&files).await?;
    Ok(out
        .iter()
        .map(|p| PreviewDocument {
            name: file_name(p),
            url: asset_url(p),
        })
        .collect())
}

/// Each act's name, size and pages, for the recap before "Signifier".
#[tauri::command]
pub async fn document_facts(request: PreviewRequest) -> ApiResult<Vec<DocumentFacts>> {
    let files: Vec<PathBuf> = request.documents.iter().map(PathBuf::from).collect();
    let facts = tauri::async_runtime::spawn_blocking(move || sceau_app::document_facts(&files))
        .await
        .map_err(internal)??;
    Ok(facts.into_iter().map(DocumentFacts::from).collect())
}

fn step_event(job_id: &str, p: Progress) -> Option<StepEvent> {
    let Progress::Step { step, status, .. } = p else {
        return None;
    };
    let n = match step {
        sceau_app::Step::Convert => 1,
        sceau_app::Step::Sign => 2,
        sceau_app::Step::Deposit => 3,
        sceau_app::Step::Notify => 4,
        sceau_app::Step::Attestation => 5,
        sceau_app::Step::Archive => 6,
    };
    let (status, reason) = match status {
        AppStepStatus::Running => (StepStatus::Running, None),
        AppStepStatus::Done => (StepStatus::Done, None),
        // Step 4 is the vault's once the deposit is accepted: for the window it is done (the
        // vault notifies), not waiting in the outbox.
        AppStepStatus::Queued { reason } if n == 4 => (StepStatus::Done, Some(reason)),
        AppStepStatus::Queued { reason } => (StepStatus::Queued, Some(reason)),
        AppStepStatus::Failed { reason, .. } => (StepStatus::Failed, Some(reason)),
    };
    Some(StepEvent {
        job_id: job_id.to_owned(),
        step: n,
        status,
        reason,
    })
}

/// Serves an act; the six steps go to the window as `signify_step` events of `job_id`.
#[tauri::command]
pub async fn signify(
    handle: AppHandle,
    shell: St<'_>,
    request: SignifyRequest,
    job_id: String,
) -> ApiResult<SignifyResult> {
    let app = shell.app()?;
    let req = sceau_app::ServeRequest {
        reference: request.reference.clone(),
        recipient: request.recipient_id.clone(),
        nature: request.nature.clone(),
        files: request.documents.iter().map(PathBuf::from).collect(),
        requerant: request.requerant.clone(),
        judge_permission: nonempty(&request.judge_permission),
        preview_dir: None,
        offline: false,
    };
    let cred = credentials(request.pin, request.confirm_final_try);
    let progress = forward(&handle, STEP_EVENT, job_id, step_event);
    let options = sceau_app::ServeOptions {
        signature_certificate: nonempty(&Some(request.signature_certificate)),
        authentication_certificate: nonempty(&Some(request.authentication_certificate)),
        ..sceau_app::ServeOptions::default()
    };
    let r = app.serve(&req, &options, &cred, progress).await;
    drop(cred);
    track_online(&shell, &r);
    feed::publish(&handle);
    shell.wake.notify_one();
    let outcome = r?;
    Ok(match outcome.deposit {
        Some(d) => SignifyResult {
            service_id: outcome.service_id.to_string(),
            state: SignifyState::Deposited,
            deposited_at: Some(d.receipt.deposited_at),
            archive_name: Some(d.receipt.archive_name),
        },
        None => SignifyResult {
            service_id: outcome.service_id.to_string(),
            state: SignifyState::Queued,
            deposited_at: None,
            archive_name: None,
        },
    })
}

// ------------------------------------------------------------------ EDI

/// The window's view of an EDI progress event: line checks, signatures (signed and queued, so
/// the window counts n/N), deposits; per-service steps other than a deposit are not shown.
fn edi_event(job_id: &str, p: Progress) -> Option<EdiProgress> {
    let (line, reference, stage, reason) = match p {
        Progress::EdiLine {
            line,
            reference,
            stage,
        } => {
            let (stage, reason) = match stage {
                sceau_app::EdiStage::Valid => (EdiStage::Checked, None),
                sceau_app::EdiStage::Invalid { reason, .. } => (EdiStage::Refused, Some(reason)),
                sceau_app::EdiStage::AlreadyPrepared => (EdiStage::AlreadyPrepared, None),
                sceau_app::EdiStage::Converted => (EdiStage::Converted, None),
                sceau_app::EdiStage::Queued => (EdiStage::Signed, None),
            };
            (line, reference, stage, reason)
        }
        Progress::Step {
            reference,
            step: sceau_app::Step::Deposit,
            status: AppStepStatus::Done,
        } => (0, reference, EdiStage::Deposited, None),
        _ => return None,
    };
    Some(EdiProgress {
        job_id: job_id.to_owned(),
        line: u32::try_from(line).unwrap_or(u32::MAX),
        reference,
        stage,
        reason,
    })
}

/// The result of an import, or of a refused batch (every bad line, nothing signed).
/// `deposited(service_id)` says whether a prepared service is deposited by now: the window's
/// background sync sends the outbox too, so this call's own upload report may miss some.
fn edi_result(
    r: Result<sceau_app::EdiReport, sceau_app::Error>,
    deposited: impl Fn(i64) -> bool,
) -> ApiResult<EdiImportResult> {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let report = match r {
        Ok(report) => report,
        Err(sceau_app::Error::EdiInvalid { lines }) => {
            return Ok(EdiImportResult {
                lines: 0,
                refused: lines
                    .into_iter()
                    .map(|l| EdiRefusedLine {
                        line: count(l.line),
                        code: l.code,
                        message: l.message,
                    })
                    .collect(),
                prepared: 0,
                already_prepared: 0,
                deposited: 0,
                queued: 0,
                queued_reason: None,
            })
        }
        Err(e) => return Err(e.into()),
    };
    let sent_now: std::collections::HashSet<i64> = report
        .outbox
        .iter()
        .flat_map(|o| o.sent.iter().map(|s| s.service_id))
        .collect();
    let deposited = report
        .prepared
        .iter()
        .filter(|p| sent_now.contains(&p.service_id) || deposited(p.service_id))
        .count();
    Ok(EdiImportResult {
        lines: count(report.lines),
        refused: vec![],
        prepared: count(report.prepared.len()),
        already_prepared: count(report.already_prepared.len()),
        deposited: count(deposited),
        queued: count(report.prepared.len().saturating_sub(deposited)),
        queued_reason: report.queued_reason,
    })
}

/// The application's EDI request for the window's (uploaded at once, not offline).
fn edi_request(request: &EdiImportRequest) -> sceau_app::EdiRequest {
    sceau_app::EdiRequest {
        manifest: PathBuf::from(&request.manifest),
        offline: false,
        stamp_consent: request.stamp_consent,
        signature_certificate: nonempty(&Some(request.signature_certificate.clone())),
    }
}

/// Imports an EDI batch: every line checked before anything is signed, one PIN for the
/// batch, progress on the `edi_progress` event, then the upload of what is due.
#[tauri::command]
pub async fn edi_import(
    handle: AppHandle,
    shell: St<'_>,
    request: EdiImportRequest,
    job_id: String,
) -> ApiResult<EdiImportResult> {
    let app = shell.app()?;
    let req = edi_request(&request);
    let cred = credentials(request.pin, request.confirm_final_try);
    let progress = forward(&handle, EDI_EVENT, job_id, edi_event);
    let r = app.edi_import(&req, &cred, progress).await;
    drop(cred);
    track_online(&shell, &r);
    feed::publish(&handle);
    shell.wake.notify_one();
    edi_result(r, |id| {
        app.service(&id.to_string())
            .is_ok_and(|s| s.vault_deposit_id.is_some())
    })
}

// ------------------------------------------------------------------ outbox

/// Outbox content and connectivity.
#[tauri::command]
pub async fn outbox_list(shell: St<'_>) -> ApiResult<OutboxStatus> {
    outbox_status(&shell)
}

/// Uploads what waits in the outbox now.
#[tauri::command]
pub async fn outbox_send(handle: AppHandle, shell: St<'_>) -> ApiResult<OutboxStatus> {
    let app = shell.app()?;
    let r = app.send_outbox(Auth::Session, sceau_app::ignore()).await;
    track_online(&shell, &r);
    if let Ok(report) = &r {
        shell.set_online(report.stopped_because.is_none());
    }
    r?;
    feed::publish(&handle);
    outbox_status(&shell)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn asset_urls_are_encoded_as_convert_file_src_does() {
        let u = asset_url(Path::new("/tmp/a b/é.pdf"));
        assert_eq!(u, "asset://localhost/%2Ftmp%2Fa%20b%2F%C3%A9.pdf");
    }

    #[test]
    fn steps_are_numbered_in_the_manual_order() {
        let ev = step_event(
            "j",
            Progress::Step {
                reference: "R".into(),
                step: sceau_app::Step::Attestation,
                status: AppStepStatus::Failed {
                    code: "x".into(),
                    reason: "Refusé".into(),
                },
            },
        )
        .unwrap();
        assert_eq!((ev.step, ev.status), (5, StepStatus::Failed));
        assert_eq!(ev.reason.as_deref(), Some("Refusé"));
        let notify = step_event(
            "j",
            Progress::Step {
                reference: "R".into(),
                step: sceau_app::Step::Notify,
                status: AppStepStatus::Queued {
                    reason: "Le coffre-fort notifie le destinataire.".into(),
                },
            },
        )
        .unwrap();
        assert_eq!((notify.step, notify.status), (4, StepStatus::Done));
        assert!(step_event(
            "j",
            Progress::Upload {
                reference: "R".into(),
                sent: 1,
                total: 2
            }
        )
        .is_none());
    }

    #[test]
    fn edi_progress_counts_checks_signatures_and_deposits() {
        let line = |stage| Progress::EdiLine {
            line: 3,
            reference: "R-3".into(),
            stage,
        };
        let ev = edi_event("j", line(sceau_app::EdiStage::Valid)).unwrap();
        assert_eq!((ev.line, ev.stage), (3, EdiStage::Checked));
        let ev = edi_event(
            "j",
            line(sceau_app::EdiStage::Invalid {
                code: "edi.file_missing".into(),
                reason: "Ligne 3 : introuvable".into(),
            }),
        )
        .unwrap();
        assert_eq!(ev.stage, EdiStage::Refused);
        assert_eq!(ev.reason.as_deref(), Some("Ligne 3 : introuvable"));
        let ev = edi_event("j", line(sceau_app::EdiStage::Queued)).unwrap();
        assert_eq!(ev.stage, EdiStage::Signed);
        let deposit = |status| Progress::Step {
            reference: "R-3".into(),
            step: sceau_app::Step::Deposit,
            status,
        };
        let ev = edi_event("j", deposit(AppStepStatus::Done)).unwrap();
        assert_eq!((ev.line, ev.stage), (0, EdiStage::Deposited));
        assert!(edi_event("j", deposit(AppStepStatus::Running)).is_none());
        assert_eq!(
            edi_event("job-7", line(sceau_app::EdiStage::Converted))
                .unwrap()
                .job_id,
            "job-7"
        );
    }

    #[test]
    fn the_edi_request_carries_the_chosen_certificate() {
        let request = |serial: &str| EdiImportRequest {
            manifest: "/lots/lot.csv".into(),
            pin: "1234".into(),
            confirm_final_try: false,
            stamp_consent: true,
            signature_certificate: serial.into(),
        };
        let req = edi_request(&request(" 4F2A "));
        assert_eq!(req.signature_certificate.as_deref(), Some("4F2A"));
        assert_eq!(req.manifest, PathBuf::from("/lots/lot.csv"));
        assert!(req.stamp_consent && !req.offline);
        // None chosen: the key's only signature certificate.
        assert_eq!(edi_request(&request("")).signature_certificate, None);
        // The PIN is not shown by Debug; the serial is.
        let shown = format!("{:?}", request("4F2A"));
        assert!(shown.contains("4F2A") && !shown.contains("1234"), "{shown}");
    }

    #[test]
    fn a_refused_batch_is_a_result_with_every_line() {
        let r = edi_result(
            Err(sceau_app::Error::EdiInvalid {
                lines: vec![
                    sceau_app::EdiLineError {
                        line: 2,
                        code: "edi.bad_reference".into(),
                        message: "Ligne 2 : référence".into(),
                    },
                    sceau_app::EdiLineError {
                        line: 5,
                        code: "edi.file_missing".into(),
                        message: "Ligne 5 : fichier".into(),
                    },
                ],
            }),
            |_| false,
        )
        .unwrap();
        assert_eq!(r.refused.len(), 2);
        assert_eq!((r.refused[1].line, r.prepared), (5, 0));
        // Other failures stay errors with their code (a wrong PIN...).
        let e = edi_result(Err(sceau_app::Error::NoVault), |_| false).unwrap_err();
        assert_eq!(e.code, "app.no_vault");
    }

    #[test]
    fn deposits_made_by_the_background_sync_count_as_deposited() {
        let prepared = |line: usize, id: i64| sceau_app::edi::EdiPrepared {
            line,
            reference: format!("R-{line}"),
            service_id: id,
            outbox_id: id,
        };
        let report = sceau_app::EdiReport {
            batch_id: "b".into(),
            lines: 3,
            prepared: vec![prepared(2, 10), prepared(3, 11)],
            already_prepared: vec!["R-4".into()],
            outbox: None,
            queued_reason: None,
        };
        let r = edi_result(Ok(report), |id| id == 11).unwrap();
        assert_eq!(
            (
                r.lines,
                r.prepared,
                r.already_prepared,
                r.deposited,
                r.queued
            ),
            (3, 2, 1, 1, 1)
        );
        assert!(r.refused.is_empty());
    }
}
