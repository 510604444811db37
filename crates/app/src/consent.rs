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
        return format!("Consentement en vigueur pour : {}.", in_force.join(", "));
    }
    let paper = " Sans consentement en vigueur, signifiez l'acte sur papier (par commissaire de \
                 justice ou par voie postale).";
    if let Some(i) = invitations.first() {
        return format!("{}.{paper}", i.state.label_fr());
    }
    if consents.iter().any(|c| c.revoked_at.is_some()) {
        return format!("Le destinataire a révoqué son consentement.{paper}");
    }
    if !consents.is_empty() {
        return format!("Le consentement du destinataire a expiré.{paper}");
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
