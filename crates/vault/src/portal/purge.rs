//! The purge of the portal's expired secrets and old audit lines.

use std::sync::Arc;

use crate::error::Result;
use crate::store::meta;
use crate::Vault;

/// Deletes the links and sessions past their life and the codes of those links (secrets kept
/// no longer than they serve), and the audit lines older than `portal.audit_retention_days`.
pub async fn purge_expired(vault: &Vault) -> Result<meta::PortalPurge> {
    let now = vault.clock.now();
    let audit_before =
        now - chrono::Duration::days(i64::from(vault.config.portal.audit_retention_days));
    vault
        .db(move |sql| meta::purge_portal(sql, now, audit_before))
        .await
}

/// The server's purge task: [`purge_expired`] every `every`.
pub async fn run_purge(vault: Arc<Vault>, every: std::time::Duration) {
    loop {
        match purge_expired(&vault).await {
            Ok(p) if p != meta::PortalPurge::default() => tracing::info!(
                links = p.links,
                codes = p.codes,
                sessions = p.sessions,
                audit = p.audit,
                "portal secrets and old audit lines purged"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(code = e.code(), detail = %e, "portal purge"),
        }
        tokio::time::sleep(every).await;
    }
}
