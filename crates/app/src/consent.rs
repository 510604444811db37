//! Consents to electronic service (CPC 748-2) as the workstation knows them: the vault's register
//! for a recipient, fetched when online and cached (`sceau_store`, as `sceau_core`'s `Consent`),
//! checked before anything is signed. The vault checks again at deposit.

use chrono::Utc;
use sceau_core::consent::ConsentStatus;

use crate::error::Result;
use crate::{App, Auth};

impl App {
    /// Why `recipient` may not be served an act of `nature` now (the register's reason, in
    /// French), from the vault's register when online (the cache is refreshed), else from the
    /// cache; `None` when a consent is in force, or when nothing is known (never fetched): the
    /// vault decides at deposit (CPC 748-2).
    pub(crate) async fn consent_refusal(
        &self,
        recipient: &str,
        nature: &str,
        auth: Auth<'_>,
        offline: bool,
    ) -> Result<Option<String>> {
        if !offline {
            self.refresh_consents(recipient, auth).await;
        }
        Ok(self
            .store()
            .consent_status(recipient, nature, Utc::now())?
            .filter(|s| *s != ConsentStatus::InForce)
            .map(|s| s.message_fr().to_owned()))
    }

    /// Fetches `recipient`'s consents into the cache (best effort: unreachable, or a vault
    /// without the consents route, leaves the cache as it was).
    pub(crate) async fn refresh_consents(&self, recipient: &str, auth: Auth<'_>) {
        let fetched = async {
            let client = self.vault_client(auth).await?;
            Ok::<_, crate::Error>(client.consents(recipient).await?)
        }
        .await;
        match fetched {
            Ok(consents) => {
                if let Err(e) = self
                    .store()
                    .replace_consents(recipient, &consents, Utc::now())
                {
                    tracing::warn!(error = %e, "consents not cached");
                }
            }
            Err(e) => tracing::info!(error = %e, "consents not fetched; using the cache"),
        }
    }
}
