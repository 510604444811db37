//! Consents to electronic service (CPC 748-2) as the workstation knows them: the vault's register
//! for a recipient, fetched when online and cached (`sceau_store`, as `sceau_core`'s `Consent`),
//! checked before anything is signed. The vault checks again at deposit.

use chrono::Utc;
use sceau_core::consent::{Consent, ConsentStatus};
use sceau_proto::{Invitation, InvitationRequest, InvitationState};
use serde::Serialize;

use crate::error::Result;
use crate::{App, Auth};

pub use sceau_client::InvitationAction;

/// A recipient's consent as the office sees it (recipient card, `sceau consent status`): the
/// register's consents and this office's invitations, with one sentence saying where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentOverview {
    /// The recipient.
    pub recipient_id: String,
    /// The register's consents, oldest first.
    pub consents: Vec<Consent>,
    /// The natures of acts a consent covers now.
    pub in_force: Vec<String>,
    /// This office's invitations, newest first.
    pub invitations: Vec<Invitation>,
    /// Where it stands, in French (and, without consent, the paper fallback).
    pub summary_fr: String,
}

fn summary(in_force: &[String], consents: &[Consent], invitations: &[Invitation]) -> String {
    if !in_force.is_empty() {
        let labels: Vec<String> = in_force.iter().map(|c| crate::nature_label(c)).collect();
        return format!("Consentement en vigueur pour : {}.", labels.join(", "));
    }
    let paper = " Sans consentement en vigueur, signifiez l'acte sur papier (par commissaire de \
                 justice ou par voie postale).";
    // An invitation still to be answered (or answered otherwise than by a consent) says most;
    // then what became of the latest consent.
    if let Some(i) = invitations
        .first()
        .filter(|i| i.state != InvitationState::Accepted)
    {
        return format!("{}.{paper}", i.state.label_fr());
    }
    if let Some(latest) = consents.iter().max_by_key(|c| c.given_at) {
        return match latest.revoked_at {
            Some(at) => format!(
                "Le destinataire a révoqué son consentement le {}.{paper}",
                sceau_core::naming::format_paris(at)
            ),
            None => format!("Le consentement du destinataire a expiré.{paper}"),
        };
    }
    format!(
        "Aucun consentement : invitez le destinataire à consentir à la signification \
         électronique.{paper}"
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

    /// Where `recipient`'s consent stands for this office (the cache of consents is refreshed).
    pub async fn consent_overview(
        &self,
        auth: Auth<'_>,
        recipient: &str,
    ) -> Result<ConsentOverview> {
        let client = self.vault_client(auth).await?;
        let consents = client.consents(recipient).await?;
        let invitations = client.invitations(recipient).await?;
        if let Err(e) = self
            .store()
            .replace_consents(recipient, &consents, Utc::now())
        {
            tracing::info!(error = %e, "consents not cached (recipient not in the cache)");
        }
        let now = Utc::now();
        let mut in_force: Vec<String> = Vec::new();
        for c in &consents {
            for n in &c.natures {
                if c.status(n, now) == ConsentStatus::InForce && !in_force.contains(n) {
                    in_force.push(n.clone());
                }
            }
        }
        Ok(ConsentOverview {
            recipient_id: recipient.to_owned(),
            summary_fr: summary(&in_force, &consents, &invitations),
            consents,
            in_force,
            invitations,
        })
    }

    /// Invites `recipient` to consent to electronic service of `natures` (the vault sends the
    /// e-mail and the SMS); `days` to answer (default 15), `consent_months` for a consent of
    /// limited duration.
    pub async fn invite(
        &self,
        auth: Auth<'_>,
        recipient: &str,
        natures: Vec<String>,
        days: Option<u32>,
        consent_months: Option<u32>,
    ) -> Result<Invitation> {
        let client = self.vault_client(auth).await?;
        let i = client
            .invite(
                recipient,
                &InvitationRequest {
                    natures,
                    days,
                    consent_months,
                },
            )
            .await?;
        self.log(
            "Invitation à la signification électronique envoyée",
            recipient,
        );
        Ok(i)
    }

    /// Sends one of this office's invitations again, or withdraws it.
    pub async fn invitation_action(
        &self,
        auth: Auth<'_>,
        id: &str,
        action: InvitationAction,
    ) -> Result<Invitation> {
        let client = self.vault_client(auth).await?;
        let i = client.invitation_action(id, action).await?;
        self.log(
            if i.state == InvitationState::Withdrawn {
                "Invitation retirée"
            } else {
                "Invitation renvoyée"
            },
            &i.recipient_id,
        );
        Ok(i)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn consent(revoked: bool) -> Consent {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap();
        Consent {
            id: "c".into(),
            recipient_id: "r".into(),
            natures: vec!["SAISIE_VENTE".into()],
            given_at: t,
            expires_at: None,
            revoked_at: revoked.then_some(t + chrono::Duration::days(1)),
            how: "portail".into(),
        }
    }

    fn invitation(state: InvitationState) -> Invitation {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        Invitation {
            id: "i".into(),
            recipient_id: "r".into(),
            natures: vec!["SAISIE_VENTE".into()],
            state,
            sent_at: t,
            expires_at: t,
            answered_at: None,
            consent_id: None,
            consent_months: None,
        }
    }

    #[test]
    fn the_summary_says_where_the_consent_stands_and_the_paper_fallback() {
        let in_force = summary(&["SAISIE_VENTE".into()], &[consent(false)], &[]);
        assert!(in_force.contains("en vigueur") && !in_force.contains("papier"));
        assert!(
            in_force.contains(&crate::nature_label("SAISIE_VENTE")),
            "{in_force}"
        );
        assert!(
            !in_force.contains("SAISIE_VENTE"),
            "the label, not the code: {in_force}"
        );
        // Accepted, then revoked: the revocation is what the office must read.
        let revoked = summary(
            &[],
            &[consent(true)],
            &[invitation(InvitationState::Accepted)],
        );
        assert!(
            revoked.contains("révoqué") && revoked.contains("papier"),
            "{revoked}"
        );
        let pending = summary(&[], &[], &[invitation(InvitationState::Pending)]);
        assert!(
            pending.contains("en attente") && pending.contains("papier"),
            "{pending}"
        );
        let refused = summary(
            &[],
            &[consent(true)],
            &[invitation(InvitationState::Refused)],
        );
        assert!(refused.contains("Refusé"), "{refused}");
        assert!(summary(&[], &[], &[]).contains("Aucun consentement"));
    }
}
