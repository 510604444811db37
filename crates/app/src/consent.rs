//! Consents to electronic service (CPC 748-2) as the workstation knows them: the vault's register
//! for a recipient, fetched when online and cached (`sceau_store`, as `sceau_core`'s `Consent`),
//! checked before anything is signed. The vault checks again at deposit.

use chrono::Utc;
use sceau_core::consent::{Consent, ConsentStatus};

use crate::error::Result;
use crate::{App, Auth};

/// The register's consent as the core's ([`Consent::from_register`], the vault's reading).
pub(crate) fn consent_of(
    c: &sceau_proto::Consent,
    catalogue: &sceau_core::natures::Catalogue,
) -> Consent {
    Consent::from_register(
        &c.id,
        &c.natures,
        catalogue,
        c.given_on,
        c.expires_on,
        c.revoked_on,
    )
}

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
            Ok(list) => {
                let Ok(catalogue) = sceau_core::natures::Catalogue::shipped() else {
                    return;
                };
                let consents: Vec<Consent> =
                    list.iter().map(|c| consent_of(c, catalogue)).collect();
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::{DateTime, NaiveDate};

    #[test]
    fn register_days_become_instants_as_the_vault_reads_them() {
        let cat = sceau_core::natures::Catalogue::shipped().unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let p = sceau_proto::Consent {
            id: "C1".into(),
            recipient_id: "r".into(),
            natures: vec![],
            given_on: d("2026-03-02"),
            expires_on: Some(d("2026-03-10")),
            how: "convention".into(),
            revoked_on: None,
        };
        let c = consent_of(&p, cat);
        // Every nature of the catalogue.
        assert_eq!(c.natures.len(), cat.natures.len());
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let n = &cat.natures[0].code;
        // Given on the 2nd (Paris): not yet at 23:30 UTC on the 1st, in force at 23:30 UTC
        // (00:30 Paris) the 2nd... and through the whole of the 10th, Paris time.
        assert_eq!(
            c.status(n, at("2026-03-01T22:59:59Z")),
            ConsentStatus::NotYetGiven
        );
        assert_eq!(
            c.status(n, at("2026-03-01T23:00:00Z")),
            ConsentStatus::InForce
        );
        assert_eq!(
            c.status(n, at("2026-03-10T22:59:59Z")),
            ConsentStatus::InForce
        );
        assert_eq!(
            c.status(n, at("2026-03-10T23:00:00Z")),
            ConsentStatus::Expired
        );
        let revoked = consent_of(
            &sceau_proto::Consent {
                natures: vec!["X".into()],
                revoked_on: Some(d("2026-03-05")),
                ..p
            },
            cat,
        );
        assert_eq!(revoked.natures, vec!["X"]);
        assert_eq!(
            revoked.status("X", at("2026-03-04T22:59:59Z")),
            ConsentStatus::InForce
        );
        assert_eq!(
            revoked.status("X", at("2026-03-04T23:00:00Z")),
            ConsentStatus::Revoked
        );
    }
}
