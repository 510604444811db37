//! Delivery state (CPC 662-1): consultations recorded at the vault's time, and the decision
//! "remise à personne" / "remise à domicile" with its attestation `<act>_REMISE.pdf`.
//!
//! A first consultation before the deadline decides "à personne" at once. At the deadline
//! without consultation the scheduler ([`run_scheduler`]) decides "à domicile"; it scans for
//! overdue deposits on start, so a vault that was down across a deadline catches up (the
//! decision states the deadline as the moment the state became final, and the time it was
//! actually taken). Each decision renders a PDF/A-1b attestation (sceau-pdfa's `render`), seals
//! it (detached CMS with the seal key, like deposit attestations), files both in the office's
//! vault and appends the evidence records, in one transaction under the commit lock; the state
//! change is guarded (`awaiting_consultation` → decided), so a race decides once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sceau_core::delivery::{decide, Decision, DeliveryRule, DeliveryState};
use sceau_core::evidence::EvidenceEvent;
use sceau_core::naming::{delivery_notice_name, format_paris};
use sceau_pdfa::render::{render, Block, TextDocument};
use sha2::{Digest, Sha256};

use crate::api::deposit::ARCHIVE_FOLDER;
use crate::config::DeliveryRuleConfig;
use crate::error::{storage, Error, Result};
use crate::journal::{self, Entry};
use crate::store::meta::{self, DepositRow, NoticeRow};
use crate::Vault;

/// The rule in force from the configuration.
pub fn rule_of(vault: &Vault) -> DeliveryRule {
    match vault.config.delivery_rule {
        DeliveryRuleConfig::SameDay => DeliveryRule::SameCalendarDay,
        DeliveryRuleConfig::Within24Hours => DeliveryRule::Hours24,
    }
}

/// How the recipient consulted (stated in the history).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The web portal.
    Portal,
    /// The bank API.
    BankApi,
}

impl Channel {
    fn code(self) -> &'static str {
        match self {
            Channel::Portal => "portal",
            Channel::BankApi => "bank_api",
        }
    }
}

/// Records the recipient's consultation of a deposit at the vault's time (the first one only
/// counts) and, when it is in time, decides "à personne". The caller has checked that the
/// deposit is the recipient's.
pub async fn record_consultation(
    vault: &Arc<Vault>,
    deposit: &DepositRow,
    channel: Channel,
) -> Result<()> {
    // Fast path without the commit lock: later reads change nothing.
    let id = deposit.id.clone();
    if vault
        .db(move |sql| meta::consultation(sql, &id))
        .await?
        .is_some()
    {
        return Ok(());
    }
    let d = deposit.clone();
    let _guard = vault.commit_lock.lock().await;
    // The time is read under the lock, so journal lines stay in time order.
    let now = vault.clock.now();
    let first = vault
        .db(move |sql| {
            if !meta::insert_consultation(sql, &d.id, &d.recipient_id, now, channel.code())? {
                return Ok(false);
            }
            let record = journal::record(
                EvidenceEvent::ContentHandover,
                now,
                &d.recipient_id,
                &d.recipient_id,
                &d.id,
                Vec::new(),
                Some(channel.code().into()),
            );
            journal::append(
                sql,
                &[Entry {
                    record,
                    office_id: Some(d.office_id.clone()),
                    message: format!(
                        "Consultation de {} par le destinataire le {}",
                        d.files.join(", "),
                        format_paris(now)
                    ),
                }],
            )?;
            Ok(true)
        })
        .await?;
    drop(_guard);
    if first {
        vault.feed.notify_waiters();
        let decision = decide(
            deposit.deposited_at,
            Some(now),
            now,
            rule_of(vault),
            &vault.calendar,
        );
        if decision.state == DeliveryState::InPerson {
            file_decision(vault, deposit, &decision, Some(now)).await?;
        }
    }
    Ok(())
}

/// Decides "à domicile" for every deposit whose deadline has passed without consultation (at
/// the vault's time); returns how many were decided.
pub async fn decide_due(vault: &Arc<Vault>) -> Result<usize> {
    let now = vault.clock.now();
    let rule = rule_of(vault);
    let mut decided = 0;
    loop {
        let batch = vault
            .db(move |sql| meta::awaiting_deposits(sql, now, 200))
            .await?;
        let n = batch.len();
        let mut progressed = false;
        for d in batch {
            let id = d.id.clone();
            let consulted = vault.db(move |sql| meta::consultation(sql, &id)).await?;
            let decision = decide(d.deposited_at, consulted, now, rule, &vault.calendar);
            if decision.state == DeliveryState::AwaitingConsultation {
                continue;
            }
            if file_decision(vault, &d, &decision, consulted).await? {
                decided += 1;
                progressed = true;
            }
        }
        if n < 200 || !progressed {
            return Ok(decided);
        }
    }
}

/// The next deadline among deposits still awaiting consultation, if any.
pub async fn next_deadline(vault: &Arc<Vault>) -> Result<Option<DateTime<Utc>>> {
    let rule = rule_of(vault);
    // A far date that still formats as a four-digit year (stored times compare as text).
    let far = DateTime::<Utc>::from_timestamp(253_402_214_400, 0).unwrap_or_default();
    let oldest = vault
        .db(move |sql| meta::awaiting_deposits(sql, far, 1))
        .await?;
    Ok(oldest
        .first()
        .map(|d| sceau_core::delivery::deadline(d.deposited_at, rule)))
}

/// Runs the scheduler until the task is dropped: catches up at once, then wakes at the next
/// deadline (at most every `max_sleep`, so deposits made meanwhile are seen).
pub async fn run_scheduler(vault: Arc<Vault>, max_sleep: Duration) {
    loop {
        match decide_due(&vault).await {
            Ok(n) if n > 0 => tracing::info!(decided = n, "delivery decisions"),
            Ok(_) => {}
            Err(e) => tracing::error!(code = e.code(), detail = %e, "delivery scheduler"),
        }
        let wait = match next_deadline(&vault).await {
            Ok(Some(t)) => (t - vault.clock.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(max_sleep),
            _ => max_sleep,
        };
        tokio::time::sleep(wait.max(Duration::from_millis(200))).await;
    }
}

fn state_code(s: DeliveryState) -> &'static str {
    s.code()
}

fn date_fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The attestation's text.
pub fn notice_document(
    vault: &Vault,
    d: &DepositRow,
    office_label: &str,
    decision: &Decision,
    consulted: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> TextDocument {
    let in_person = decision.state == DeliveryState::InPerson;
    let title = if in_person {
        "Attestation de remise à personne"
    } else {
        "Attestation de remise à domicile"
    };
    let nature = vault
        .natures
        .get(&d.nature)
        .map_or_else(|| d.nature.clone(), |n| n.label_fr.clone());
    let mut rows = vec![
        ("Étude".to_owned(), office_label.to_owned()),
        ("Référence".to_owned(), d.reference.clone()),
        ("Destinataire".to_owned(), d.recipient_name.clone()),
        ("Nature de l'acte".to_owned(), nature),
        ("Acte(s)".to_owned(), d.files.join(", ")),
        ("Identifiant du dépôt".to_owned(), d.id.clone()),
        (
            "Mise à disposition (signification)".to_owned(),
            format_paris(d.deposited_at),
        ),
        (
            "Règle appliquée".to_owned(),
            decision.rule.label_fr().to_owned(),
        ),
        ("Échéance".to_owned(), format_paris(decision.deadline)),
        (
            "Première consultation".to_owned(),
            consulted.map_or_else(
                || "Aucune consultation avant l'échéance".to_owned(),
                format_paris,
            ),
        ),
        (
            "État".to_owned(),
            if in_person {
                "Remise à personne".to_owned()
            } else {
                "Remise à domicile".to_owned()
            },
        ),
        (
            "État acquis le".to_owned(),
            decision.effective_at.map(format_paris).unwrap_or_default(),
        ),
        (
            "Décision prise par le coffre le".to_owned(),
            format_paris(now),
        ),
    ];
    if let Some(letter) = decision.letter_date {
        rows.push((
            "Lettre simple".to_owned(),
            format!(
                "à envoyer au plus tard le {} (premier jour ouvrable suivant la transmission)",
                date_fr(letter)
            ),
        ));
    }
    let explanation = if in_person {
        "Le destinataire a pris connaissance de l'acte avant l'échéance prévue par la règle \
         appliquée : la signification est réputée faite à personne (article 662-1 du code de \
         procédure civile)."
            .to_owned()
    } else {
        format!(
            "Le destinataire n'a pas pris connaissance de l'acte avant l'échéance prévue par la \
             règle appliquée : la signification est réputée faite à domicile. L'étude doit \
             adresser au destinataire, au plus tard le {}, une lettre simple l'informant de la \
             signification électronique, de la nature de l'acte et du nom du requérant \
             (article 662-1 du code de procédure civile).",
            decision.letter_date.map(date_fr).unwrap_or_default()
        )
    };
    TextDocument {
        title: title.into(),
        author: "Coffre Sceau".into(),
        blocks: vec![
            Block::Table(rows),
            Block::Paragraph(explanation),
            Block::Paragraph(
                "Les heures sont exprimées à l'heure de Paris ; elles proviennent de l'horloge \
                 du coffre. Ce document est scellé par le coffre (signature détachée .p7s)."
                    .into(),
            ),
        ],
    }
}

/// Renders, seals and files the decision; `false` if the deposit was decided meanwhile.
async fn file_decision(
    vault: &Arc<Vault>,
    d: &DepositRow,
    decision: &Decision,
    consulted: Option<DateTime<Utc>>,
) -> Result<bool> {
    let now = vault.clock.now();
    let office_id = d.office_id.clone();
    let office = vault
        .db(move |sql| {
            let rows = sql.query(
                "SELECT number, name FROM offices WHERE id = $1",
                &[office_id.as_str().into()],
            )?;
            Ok(rows
                .first()
                .map(|r| (r[0].text().to_owned(), r[1].text().to_owned())))
        })
        .await?
        .unwrap_or_default();
    let office_label = format!("{} ({})", office.1, office.0);
    let doc = notice_document(vault, d, &office_label, decision, consulted, now);
    let pdf = tokio::task::spawn_blocking(move || render(&doc, now))
        .await
        .map_err(storage)?
        .map_err(|e| Error::Crypto(format!("rendu de l'attestation de remise : {e}")))?;
    let seal = vault.seal.seal(&pdf, now)?;
    let pdf_sha: [u8; 32] = Sha256::digest(&pdf).into();
    let (pdf_key, seal_key) =
        tokio::try_join!(vault.blobs.put(pdf.clone()), vault.blobs.put(seal.clone()))?;
    let act = d
        .files
        .first()
        .cloned()
        .unwrap_or_else(|| format!("{}.pdf", d.id));
    let name = delivery_notice_name(&act);
    let in_person = decision.state == DeliveryState::InPerson;
    let effective_at = decision.effective_at.unwrap_or(now);
    let retained_until =
        now.checked_add_months(chrono::Months::new(12 * vault.config.retention_years));
    let (d2, decision2, name2) = (d.clone(), decision.clone(), name.clone());
    let (pdf_len, seal_len) = (pdf.len() as u64, seal.len() as u64);
    let _guard = vault.commit_lock.lock().await;
    let filed = vault
        .db(move |sql| {
            if !meta::set_delivery_state(sql, &d2.id, state_code(decision2.state))? {
                return Ok(false);
            }
            let paths = meta::file_in_office_vault(
                sql,
                &d2.office_id,
                ARCHIVE_FOLDER,
                &[
                    (name2.clone(), pdf_len, pdf_key.clone()),
                    (format!("{name2}.p7s"), seal_len, seal_key.clone()),
                ],
                &d2.id,
                now,
                retained_until,
            )?;
            let path = paths.first().cloned().unwrap_or_default();
            meta::insert_notice(
                sql,
                &NoticeRow {
                    deposit_id: d2.id.clone(),
                    state: state_code(decision2.state).into(),
                    decided_at: now,
                    effective_at,
                    name: name2.clone(),
                    path: path.clone(),
                    sha256: pdf_key.clone(),
                    letter_date: decision2.letter_date,
                },
            )?;
            let (event, message) = if in_person {
                (
                    EvidenceEvent::DeliveredInPerson,
                    format!("Création de l'attestation de remise à personne {name2}"),
                )
            } else {
                (
                    EvidenceEvent::DeliveredAtHome,
                    format!(
                        "Création de l'attestation de remise à domicile {name2} (lettre simple \
                         au plus tard le {})",
                        decision2.letter_date.map(date_fr).unwrap_or_default()
                    ),
                )
            };
            let sender = "coffre";
            let digests = vec![(name2.clone(), pdf_sha)];
            journal::append(
                sql,
                &[
                    Entry {
                        record: journal::record(
                            event,
                            now,
                            sender,
                            &d2.recipient_id,
                            &d2.id,
                            digests.clone(),
                            Some(decision2.rule.code().into()),
                        ),
                        office_id: Some(d2.office_id.clone()),
                        message,
                    },
                    Entry {
                        record: journal::record(
                            EvidenceEvent::DeliveryNoticeFiled,
                            now,
                            sender,
                            &d2.recipient_id,
                            &d2.id,
                            digests,
                            None,
                        ),
                        office_id: Some(d2.office_id.clone()),
                        message: format!("Fichier {name2} déposé dans votre coffre ({path})"),
                    },
                ],
            )?;
            Ok(true)
        })
        .await?;
    drop(_guard);
    if filed {
        vault.feed.notify_waiters();
        tracing::info!(deposit = %d.id, state = state_code(decision.state), "delivery decided");
    }
    Ok(filed)
}
