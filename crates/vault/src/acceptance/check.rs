//! The checks of a deposit, in order: the nature, the recipient, the consent, the hours, each
//! act's signature and PDF/A-1b conformance, then the parties named by the data message.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sceau_cades::KeyRole;
use sceau_core::consent::Consent;
use sceau_core::natures::Nature;

use super::Package;
use crate::error::{storage, Error, Result};
use crate::peer::{holder_key, Authed};
use crate::store::meta::{self, RecipientRow};
use crate::Vault;

/// A deposit that passed every check: its package and what the checks found.
pub(super) struct Checked {
    /// The package.
    pub(super) pkg: Package,
    /// The deposit's one legal instant (CPC 664-1, "celles de l'envoi"): the vault's clock read
    /// once, when the whole package is received and before any check; every record says it.
    pub(super) now: DateTime<Utc>,
    /// The nature of the acts.
    pub(super) nature: Nature,
    /// The recipient.
    pub(super) recipient: RecipientRow,
    /// The consent in force.
    pub(super) consent: Consent,
    /// The judge's permission to serve outside legal hours, if any (trimmed, not empty).
    pub(super) judge: Option<String>,
    /// The place whose time zone and calendar governed the checks (recorded in the attestation).
    pub(super) place: sceau_core::place::Governing,
}

/// Every check of a deposit, in order; the package comes back with what they found.
pub(super) async fn check(vault: &Arc<Vault>, who: &Authed, pkg: Package) -> Result<Checked> {
    let m = &pkg.manifest;
    let now = vault.clock.now();
    let nature = vault
        .natures
        .get(&m.nature)
        .ok_or_else(|| Error::UnknownNature(m.nature.clone()))?
        .clone();
    // The recipient, the consent in force at this instant, the reception rule and the places
    // of the recipient and of the office, in one read.
    let (rid, ncode) = (m.recipient_id.clone(), m.nature.clone());
    let number = who.office.office.number.clone();
    // The office's own word that it is in Alsace-Moselle stands for its place when the operator
    // declared none (it can only close more days: same zone, a larger calendar).
    let says_alsace = m.office_alsace_moselle;
    let (recipient, consent, rule, place) = vault
        .db_read(move |sql| {
            let recipient = meta::recipient(sql, &rid)?;
            let consent = match &recipient {
                Some(_) => Some(crate::register::in_force(sql, &rid, &ncode, now)?),
                None => None,
            };
            let office = meta::office_region(sql, &number)?.or_else(|| {
                says_alsace
                    .then(|| sceau_core::region::Region::from_code("67").ok())
                    .flatten()
            });
            let place = sceau_core::place::governing(
                meta::recipient_region(sql, &rid)?.as_ref(),
                office.as_ref(),
            );
            Ok((recipient, consent, meta::rule(sql, &rid, &ncode)?, place))
        })
        .await?;
    let recipient = recipient.ok_or(Error::UnknownRecipient)?;
    let consent: Consent = consent
        .ok_or(Error::UnknownRecipient)?
        .map_err(Error::NoConsent)?;
    // Legal hours and the recipient's reception windows.
    let judge = m
        .judge_permission
        .as_deref()
        .map(str::trim)
        .filter(|j| !j.is_empty())
        .map(str::to_owned);
    let rule: Option<sceau_core::hours::ReceptionRule> = rule
        .map(|json| serde_json::from_str(&json).map_err(storage))
        .transpose()?;
    // In the governing place's local time and calendar (ARCHITECTURE.md, "The place of a
    // service"); a vault set to Alsace-Moselle keeps closing on its days too.
    let place = crate::place::with_default(vault, place);
    if let Err(closed) =
        sceau_core::place::service_allowed_at(now, rule.as_ref(), judge.as_deref(), &place.region)
    {
        return Err(Error::Closed {
            reason: closed.reason.code().to_owned(),
            message_fr: closed.message_fr,
        });
    }
    // Signatures and PDF/A, off the async threads.
    let pkg = {
        let vault = vault.clone();
        // The holder is compared with the office's binding, not only with this connection's
        // certificate: both were checked equal when the certificate was bound.
        let holder = who
            .peer
            .holder()
            .filter(|h| *h == who.office.holder)
            .ok_or(Error::HolderUnidentified)?;
        let given_at = consent.given_at;
        // Then each act mentions the consent (CPC 662-1, 748-1), by the workstation's rule.
        tokio::task::spawn_blocking(move || -> Result<Package> {
            verify_acts(&vault, &pkg, &holder, now)?;
            for act in &pkg.acts {
                let text = sceau_pdfa::plain_text(&act.pdf).unwrap_or_default();
                if !sceau_core::consent::mentions_consent(&text) {
                    return Err(Error::ConsentMention {
                        file: act.name.clone(),
                        given_at,
                    });
                }
            }
            Ok(pkg)
        })
        .await
        .map_err(storage)??
    };

    // The data message, sent with the acts the holder signed, speaks of this office and of this
    // recipient (after the signatures: a foreign signer is named as such first).
    let ids: Vec<String> = [&recipient.siret, &recipient.siren, &recipient.nir]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    crate::data_message::cross_check_parties(
        &pkg.message,
        &who.office.office.number,
        &recipient.name,
        &ids,
    )?;
    Ok(Checked {
        pkg,
        now,
        nature,
        recipient,
        consent,
        judge,
        place,
    })
}

/// Each act, in order: its signature (valid at `now`, by a non-repudiation certificate of
/// `holder`, not revoked since) and its PDF/A-1b conformance.
fn verify_acts(vault: &Vault, pkg: &Package, holder: &str, now: DateTime<Utc>) -> Result<()> {
    for act in &pkg.acts {
        let report = sceau_cades::verify_detached(&act.pdf, &act.p7s, &vault.trust_anchors, now)
            .map_err(|e| Error::BadSignature {
                file: act.name.clone(),
                detail: e.to_string(),
            })?;
        if !report.is_valid() {
            return Err(Error::BadSignature {
                file: act.name.clone(),
                detail: format!("{:?}", report.failures()),
            });
        }
        let signer_ok = report.signer.as_ref().is_some_and(|s| {
            s.role == KeyRole::NonRepudiation && holder_key(s).as_deref() == Some(holder)
        });
        if !signer_ok {
            return Err(Error::SignerMismatch {
                file: act.name.clone(),
            });
        }
        // The signing certificate, revoked since it signed? (lists reloaded if changed)
        if let Some(s) = &report.signer {
            let listed = vault
                .config
                .revoked_serials
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&s.serial_hex));
            if listed || vault.revocation.is_revoked(&s.issuer, &s.serial_hex) {
                return Err(Error::SignerRevoked {
                    file: act.name.clone(),
                });
            }
        }
        if let Err(reason) = vault.pdfa.check(&act.pdf) {
            tracing::info!(%reason, "act is not PDF/A-1b");
            return Err(Error::NotPdfA {
                file: act.name.clone(),
            });
        }
    }
    Ok(())
}
