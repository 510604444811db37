//! Sync: the vault's event feed applied to the local store. Each page of events and the cursor
//! after it are written in one transaction, so a crash replays at most a page that was not
//! recorded, never one twice. Archives of deposits not yet downloaded are fetched.
//!
//! The deposits a page touched are recorded as "files pending" in the same transaction as the
//! page, and leave that list only once their archive, delivery notice and return are on disk:
//! a sync killed between the two, or a download that failed, is retried by the next sync.

use std::collections::BTreeSet;

use sceau_core::delivery::DeliveryState;
use serde::Serialize;

use crate::error::Result;
use crate::progress::ProgressSink;
use crate::{checkpoint, App, Auth, OutboxReport, FEED_CURSOR};

/// Settings key: deposits whose local files (archive, notice, return) may be missing, one a line.
const FILES_PENDING: &str = "sync.files_pending";

/// What a sync did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    /// The outbox run that came first.
    pub outbox: OutboxReport,
    /// Events read from the feed.
    pub events: usize,
    /// Services whose delivery state changed ("à personne" or "à domicile").
    pub deliveries: usize,
    /// Returns of acts recorded.
    pub returns: usize,
    /// Archives downloaded.
    pub archives: usize,
    /// Delivery notices and returns downloaded.
    pub files: usize,
    /// The feed cursor after the sync.
    pub cursor: u64,
    /// Deposits whose files could not all be downloaded; the next sync retries them.
    pub files_pending: usize,
    /// What recipients did with this office's invitations and their consents (given,
    /// refused, revoked), as the vault words it, oldest first.
    pub consents: Vec<String>,
}

impl App {
    /// Sends what is due in the outbox, then reads the event feed up to now; when the feed has
    /// nothing new, waits up to `wait_s` seconds (at most 30, the vault's long-poll; 0: not at
    /// all) for the next event instead of returning at once.
    pub async fn sync(
        &self,
        auth: Auth<'_>,
        progress: ProgressSink,
        wait_s: u64,
    ) -> Result<SyncReport> {
        let outbox = self.send_outbox(auth, progress).await?;
        let client = self.vault_client(auth).await?;
        let mut report = SyncReport {
            outbox,
            ..SyncReport::default()
        };
        let mut cursor: u64 = self
            .store()
            .setting(FEED_CURSOR)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        // Deposits left by an earlier sync (killed, or a download that failed) come first.
        let mut touched: BTreeSet<String> = pending_set(self.store().setting(FILES_PENDING)?);
        let mut wait = wait_s.min(30);
        loop {
            let page = client.events(cursor, wait).await?;
            wait = 0;
            if page.events.is_empty() {
                break;
            }
            checkpoint("sync");
            let mut consents = Vec::new();
            let (deliveries, returns) = self.store().batch(|b| {
                let (mut deliveries, mut returns) = (0, 0);
                for e in &page.events {
                    if e.event.starts_with("sceau:Consent") {
                        consents.push(format!(
                            "{} : {}",
                            sceau_core::naming::format_paris(e.at),
                            e.message
                        ));
                        continue;
                    }
                    let Some(d) = &e.deposit_id else { continue };
                    let Some(s) = b.service_by_deposit_id(d)? else {
                        continue;
                    };
                    touched.insert(d.clone());
                    b.add_history(s.id, e.at, &e.message)?;
                    match e.event.as_str() {
                        "sceau:DeliveredInPerson" => {
                            b.set_delivery_state(s.id, DeliveryState::InPerson, e.at)?;
                            deliveries += 1;
                        }
                        "sceau:DeliveredAtHome" => {
                            b.set_delivery_state(s.id, DeliveryState::AtHome, e.at)?;
                            deliveries += 1;
                        }
                        "sceau:ReturnDeposited" => {
                            b.record_return(s.id, e.at, &e.message)?;
                            returns += 1;
                        }
                        _ => {}
                    }
                }
                b.set_setting(FEED_CURSOR, &page.next_cursor.to_string())?;
                b.set_setting(FILES_PENDING, &pending_text(&touched))?;
                Ok((deliveries, returns))
            })?;
            report.events += page.events.len();
            report.deliveries += deliveries;
            report.returns += returns;
            for c in consents {
                self.log("Consentement", &c);
                report.consents.push(c);
            }
            cursor = page.next_cursor;
        }
        report.cursor = cursor;
        self.log(
            "Synchronisation",
            &format!("{} événement(s)", report.events),
        );
        checkpoint("sync.files");
        let mut left = BTreeSet::new();
        for d in touched {
            if !self.fetch_files(&client, &d, &mut report).await {
                left.insert(d);
            }
        }
        self.store()
            .set_setting(FILES_PENDING, &pending_text(&left))?;
        report.files_pending = left.len();
        if !left.is_empty() {
            tracing::warn!(
                deposits = left.len(),
                "some files could not be downloaded; the next sync retries them"
            );
        }
        Ok(report)
    }

    /// Downloads what `deposit_id` has on the vault and not here (archive, delivery notice,
    /// return). True if nothing is left to download.
    async fn fetch_files(
        &self,
        client: &sceau_client::VaultClient,
        d: &str,
        report: &mut SyncReport,
    ) -> bool {
        let detail = match client.service(d).await {
            Ok(detail) => detail,
            Err(e) => {
                tracing::warn!(error = %e, "service detail unavailable");
                return false;
            }
        };
        let mut complete = true;
        if !self.has_archive(d) {
            match self
                .download_archive(
                    client,
                    d,
                    &detail.attestation.archive_path,
                    &detail.attestation.archive_name,
                    detail.attestation.served_at,
                )
                .await
            {
                Ok(_) => report.archives += 1,
                Err(e) => {
                    tracing::warn!(error = %e, "archive download failed");
                    complete = false;
                }
            }
        }
        // The delivery notice (`<act>_REMISE.pdf`) and the return, kept beside the archive.
        for (section, done) in [
            (
                detail.delivery_notice.as_ref(),
                "Attestation de remise téléchargée sur le poste",
            ),
            (
                detail.act_return.as_ref(),
                "Retour de l'acte téléchargé sur le poste",
            ),
        ] {
            let Some(filed) = section else { continue };
            match self.download_filed(client, d, filed, done).await {
                Ok(true) => report.files += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "file download failed");
                    complete = false;
                }
            }
        }
        complete
    }

    /// Downloads a filed document (delivery notice, return) of `deposit_id` beside its
    /// archive unless it is already there; records `done` in the history. True if downloaded.
    async fn download_filed(
        &self,
        client: &sceau_client::VaultClient,
        deposit_id: &str,
        filed: &sceau_proto::FiledSection,
        done: &str,
    ) -> Result<bool> {
        let dir = self.archive_dir(deposit_id);
        let to = dir.join(sceau_core::naming::sanitize(&filed.file_name));
        if to.exists() {
            return Ok(false);
        }
        std::fs::create_dir_all(&dir).map_err(crate::error::io(&dir))?;
        let bytes = client.vault_bytes(&filed.path).await?;
        self.seal.write(&to, &bytes)?;
        // One lock at a time: the guard of the lookup ends with its statement.
        let service = self.store().service_by_deposit_id(deposit_id)?;
        if let Some(s) = service {
            self.store()
                .add_history(s.id, crate::not_before_vault(filed.at), done)?;
        }
        Ok(true)
    }

    fn has_archive(&self, deposit_id: &str) -> bool {
        std::fs::read_dir(self.archive_dir(deposit_id))
            .map(|rd| {
                rd.flatten()
                    .any(|e| e.path().extension().is_some_and(|x| x == "zip"))
            })
            .unwrap_or(false)
    }
}

/// The pending deposits stored under [`FILES_PENDING`].
fn pending_set(text: Option<String>) -> BTreeSet<String> {
    text.unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The text stored under [`FILES_PENDING`] for `set`.
fn pending_text(set: &BTreeSet<String>) -> String {
    set.iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_deposits_round_trip_through_their_setting() {
        let set: BTreeSet<String> = ["D-2", "D-1"].into_iter().map(String::from).collect();
        assert_eq!(pending_set(Some(pending_text(&set))), set);
        assert!(pending_set(None).is_empty());
        assert!(pending_set(Some(pending_text(&BTreeSet::new()))).is_empty());
    }
}
