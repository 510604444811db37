//! Sync: the vault's event feed applied to the local store. Each page of events and the cursor
//! after it are written in one transaction, so a crash replays at most a page that was not
//! recorded, never one twice. Archives of deposits not yet downloaded are fetched.

use std::collections::BTreeSet;

use sceau_core::delivery::DeliveryState;
use serde::Serialize;

use crate::error::Result;
use crate::progress::ProgressSink;
use crate::{checkpoint, App, Credentials, OutboxReport, FEED_CURSOR};

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
    /// The feed cursor after the sync.
    pub cursor: u64,
}

impl App {
    /// Sends what is due in the outbox, then reads the event feed up to now.
    pub async fn sync(&self, cred: &Credentials, progress: ProgressSink) -> Result<SyncReport> {
        let outbox = self.send_outbox(cred, progress).await?;
        let client = self.client(cred).await?;
        let mut report = SyncReport {
            outbox,
            ..SyncReport::default()
        };
        let mut cursor: u64 = self
            .store()
            .setting(FEED_CURSOR)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let mut touched = BTreeSet::new();
        loop {
            let page = client.events(cursor, 0).await?;
            if page.events.is_empty() {
                break;
            }
            checkpoint("sync");
            let (deliveries, returns) = self.store().batch(|b| {
                let (mut deliveries, mut returns) = (0, 0);
                for e in &page.events {
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
                Ok((deliveries, returns))
            })?;
            report.events += page.events.len();
            report.deliveries += deliveries;
            report.returns += returns;
            cursor = page.next_cursor;
        }
        report.cursor = cursor;
        self.log(
            "Synchronisation",
            &format!("{} événement(s)", report.events),
        );
        for d in touched {
            if self.has_archive(&d) {
                continue;
            }
            match client.service(&d).await {
                Ok(detail) => {
                    match self
                        .download_archive(
                            &client,
                            &d,
                            &detail.attestation.archive_path,
                            &detail.attestation.archive_name,
                        )
                        .await
                    {
                        Ok(_) => report.archives += 1,
                        Err(e) => tracing::warn!(error = %e, "archive download failed"),
                    }
                }
                Err(e) => tracing::warn!(error = %e, "service detail unavailable"),
            }
        }
        Ok(report)
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
