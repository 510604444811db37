//! The outbox: packages queued on the workstation, sent to the vault exactly once (the
//! idempotency key is stored with the package, in the same transaction as the service), then
//! the deposit attestation and archive brought back.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::stream::{FuturesUnordered, StreamExt};
use sceau_store::{OutboxItem, OutboxState};
use serde::Serialize;

use crate::error::{io, Error, Result};
use crate::progress::{failed, step, Progress, ProgressSink, Step, StepStatus};
use crate::{checkpoint, App, Auth};

/// Packages sent at once: deposits are mostly waiting on the vault (its checks, seal,
/// time-stamp and commit), which takes many at a time.
const IN_FLIGHT: usize = 4;

/// One package sent.
#[derive(Debug, Clone, Serialize)]
pub struct SentItem {
    /// Outbox id.
    pub outbox_id: i64,
    /// Local service id.
    pub service_id: i64,
    /// The vault's receipt.
    pub receipt: sceau_proto::DepositReceipt,
    /// Local copy of the archive, if downloaded.
    pub archive: Option<PathBuf>,
}

/// What an outbox run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OutboxReport {
    /// Packages deposited.
    pub sent: Vec<SentItem>,
    /// Packages refused for good (outbox id, code, message).
    pub refused: Vec<(i64, String, String)>,
    /// Packages left for later (vault unreachable, not open yet).
    pub remaining: usize,
    /// The reason they were left, in French.
    pub stopped_because: Option<String>,
}

impl App {
    /// Runs `queuing` (a batch queuing its services chunk by chunk, notifying `queued` after
    /// each) while sending the outbox: each time a chunk is queued, the packages due are sent,
    /// and once more when `queuing` ends — so a batch's deposits overlap its signatures. When
    /// the vault goes out of reach, the batch tries once more on new connections (a stalled
    /// connection is not an outage); after that nothing more is tried (the packages stay
    /// queued, and go with the next sending).
    pub(crate) async fn send_as_queued<T>(
        &self,
        auth: Auth<'_>,
        progress: ProgressSink,
        queued: &tokio::sync::Notify,
        queuing: impl std::future::Future<Output = T>,
    ) -> (T, Result<OutboxReport>) {
        let done = AtomicBool::new(false);
        let produce = async {
            let r = queuing.await;
            done.store(true, Ordering::SeqCst);
            queued.notify_one();
            r
        };
        let consume = async {
            let mut client = self.vault_client(auth).await?;
            let mut total = OutboxReport::default();
            let mut second_chance = true;
            loop {
                let last = done.load(Ordering::SeqCst);
                let r = self.send_due(&client, progress.clone()).await?;
                let unreachable = r.stopped_because.is_some();
                total.sent.extend(r.sent);
                total.refused.extend(r.refused);
                total.remaining = r.remaining;
                total.stopped_because = r.stopped_because;
                if unreachable && std::mem::take(&mut second_chance) {
                    tracing::warn!("vault out of reach during a batch: one more try");
                    client = self.vault_client(auth).await?;
                    continue;
                }
                if last || unreachable {
                    return Ok(total);
                }
                queued.notified().await;
            }
        };
        let (produced, mut sent) = tokio::join!(produce, consume);
        if let Ok(report) = &mut sent {
            // Counted now: chunks queued after the vault went out of reach are waiting too.
            match self.store().outbox_count(OutboxState::Prepared) {
                Ok(left) => report.remaining = left,
                Err(e) => sent = Err(e.into()),
            }
        }
        (produced, sent)
    }

    /// Sends every package due now, oldest first and [`IN_FLIGHT`] at a time, until the outbox
    /// is empty or the vault is
    /// out of reach (one sender at a time: a concurrent call waits for this one). A package refused by the vault is marked failed with the vault's reason;
    /// a transient failure leaves it prepared for later.
    pub async fn send_outbox(
        &self,
        auth: Auth<'_>,
        progress: ProgressSink,
    ) -> Result<OutboxReport> {
        let client = self.vault_client(auth).await?;
        self.send_due(&client, progress).await
    }

    /// [`App::send_outbox`] with a client already made (a batch keeps one for all its turns).
    async fn send_due(
        &self,
        client: &sceau_client::VaultClient,
        progress: ProgressSink,
    ) -> Result<OutboxReport> {
        let _turn = self.outbox_send.lock().await;
        let mut report = OutboxReport::default();
        let mut in_flight = FuturesUnordered::new();
        let mut stop: Option<Error> = None;
        let mut unreachable = false;
        loop {
            // Keep IN_FLIGHT deposits going while there is something due and no reason to stop.
            while stop.is_none() && !unreachable && in_flight.len() < IN_FLIGHT {
                let Some(item) = self.store().claim_next(Utc::now())? else {
                    break;
                };
                let progress = progress.clone();
                in_flight.push(async move {
                    let r = self.send_item(client, &item, progress).await;
                    (item, r)
                });
            }
            let Some((item, r)) = in_flight.next().await else {
                break;
            };
            match r {
                Ok(sent) => report.sent.push(sent),
                Err(e) => {
                    let transient = match &e {
                        Error::Client(c) => c.is_transient(),
                        Error::Io { .. } | Error::Internal(_) => true,
                        _ => false,
                    };
                    let token = e.token_error().is_some();
                    if transient || token {
                        // Back to prepared, due now: the next run tries again with the same key.
                        self.store()
                            .fail_upload(item.id, &e.message_fr(), Some(Utc::now()))?;
                        if token {
                            stop.get_or_insert(e);
                        } else {
                            unreachable = true;
                            report.stopped_because = Some(e.message_fr());
                        }
                    } else {
                        self.store().fail_upload(item.id, &e.message_fr(), None)?;
                        report.refused.push((item.id, e.code(), e.message_fr()));
                    }
                }
            }
        }
        if let Some(e) = stop {
            return Err(e);
        }
        report.remaining = self.store().outbox_count(OutboxState::Prepared)?;
        Ok(report)
    }

    async fn send_item(
        &self,
        client: &sceau_client::VaultClient,
        item: &OutboxItem,
        progress: ProgressSink,
    ) -> Result<SentItem> {
        let service = self.store().service(item.service_id)?;
        let reference = service.reference.clone();
        step(&progress, &reference, Step::Deposit, StepStatus::Running);
        let paused = Arc::new(AtomicBool::new(false));
        let p = progress.clone();
        let r = reference.clone();
        let package = match self.seal.read(&item.package_path) {
            Ok(p) => p,
            Err(e) => {
                let e = Error::Store(e);
                step(&progress, &reference, Step::Deposit, failed(&e));
                return Err(e);
            }
        };
        let receipt = client
            .deposit(&item.idempotency_key, package, move |sent, total| {
                p(Progress::Upload {
                    reference: r.clone(),
                    sent,
                    total,
                });
                if !paused.swap(true, Ordering::SeqCst) {
                    checkpoint("upload");
                }
            })
            .await;
        let receipt = match receipt {
            Ok(r) => r,
            Err(e) => {
                let e = Error::Client(e);
                step(&progress, &reference, Step::Deposit, failed(&e));
                return Err(e);
            }
        };
        checkpoint("deposited");
        self.store()
            .complete_upload(item.id, &receipt.deposit_id, receipt.deposited_at)?;
        step(&progress, &reference, Step::Deposit, StepStatus::Done);
        self.log("Dépôt dans le coffre-fort", &reference);
        step(
            &progress,
            &reference,
            Step::Notify,
            StepStatus::Queued {
                reason: "Le coffre-fort notifie le destinataire (courriel et SMS).".into(),
            },
        );
        step(&progress, &reference, Step::Attestation, StepStatus::Done);
        let archive = match self
            .download_archive(
                client,
                &receipt.deposit_id,
                &receipt.archive_path,
                &receipt.archive_name,
                receipt.deposited_at,
            )
            .await
        {
            Ok(p) => {
                step(&progress, &reference, Step::Archive, StepStatus::Done);
                Some(p)
            }
            Err(e) => {
                tracing::warn!(error = %e, "archive not downloaded yet (sync will retry)");
                step(&progress, &reference, Step::Archive, StepStatus::Done);
                None
            }
        };
        // The package is in the vault and its archive kept: the outbox copy can go.
        let _ = std::fs::remove_file(&item.package_path);
        Ok(SentItem {
            outbox_id: item.id,
            service_id: item.service_id.0,
            receipt,
            archive,
        })
    }

    /// Downloads the archive (signed acts + deposit attestation) into the local archive folder.
    pub(crate) async fn download_archive(
        &self,
        client: &sceau_client::VaultClient,
        deposit_id: &str,
        archive_path: &str,
        archive_name: &str,
        vault_at: DateTime<Utc>,
    ) -> Result<PathBuf> {
        let dir = self.archive_dir(deposit_id);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let name = sceau_core::naming::sanitize(archive_name);
        let to = dir.join(if name.ends_with(".zip") {
            name
        } else {
            format!("{name}.zip")
        });
        let bytes = client.vault_bytes(archive_path).await?;
        self.seal.write(&to, &bytes)?;
        let service = self.store().service_by_deposit_id(deposit_id)?;
        if let Some(s) = service {
            self.store().add_history(
                s.id,
                crate::not_before_vault(vault_at),
                "Attestation de dépôt et archive téléchargées sur le poste",
            )?;
        }
        Ok(to)
    }

    /// The outbox, oldest first.
    pub fn outbox_list(&self) -> Result<Vec<OutboxItem>> {
        Ok(self.store().outbox_list(None)?)
    }

    /// Cancels a package not deposited yet; its service and package file are removed.
    pub fn outbox_cancel(&self, id: i64) -> Result<()> {
        let item = self.store().outbox_item(id)?;
        self.store().cancel(id)?;
        let _ = std::fs::remove_file(&item.package_path);
        self.log("Envoi annulé", &format!("file n° {id}"));
        Ok(())
    }

    /// A failed package is queued again.
    pub fn outbox_retry(&self, id: i64) -> Result<()> {
        Ok(self.store().retry_failed(id, Utc::now())?)
    }
}
