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
use sceau_core::delivery::{decide_in, Decision, DeliveryRule, DeliveryState};
use sceau_core::evidence::EvidenceEvent;
use sceau_core::naming::{delivery_notice_name, format_paris};
use sceau_pdfa::render::{render, Block, TextDocument};
use sha2::{Digest, Sha256};

use crate::acceptance::ARCHIVE_FOLDER;
use crate::config::DeliveryRuleConfig;
use crate::error::{crypto, storage, CryptoError, Result};
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

/// First consultations waiting for the next group commit (the work answers the consultation's
/// time when it was the first, `None` when one was already recorded).
pub type Consultations = crate::group_commit::GroupCommit<Option<DateTime<Utc>>>;

/// Records the recipient's consultation of a deposit at the vault's time (the first one only
/// counts) and, when it is in time, queues the decision "à personne" for [`Notices`]. Returns
/// the queued notice's completion when this call recorded the first consultation in time (a
/// caller that must see the decision filed awaits it; the portal does not). The caller has
/// checked that the deposit is the recipient's.
///
/// The consultation itself is durable when this returns: concurrent first consultations share
/// one commit, and the notice (render, seal, file) follows off the request path. If the vault
/// stops before the notice is filed, the scheduler's catch-up files it from the recorded
/// consultation, with the same times.
pub async fn record_consultation(
    vault: &Arc<Vault>,
    deposit: &DepositRow,
    channel: Channel,
) -> Result<Option<NoticeFiled>> {
    // Fast path without the commit lock (on the reading connection): later reads change
    // nothing.
    let id = deposit.id.clone();
    if vault
        .db_read(move |sql| meta::consultation(sql, &id))
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let d = deposit.clone();
    let clock = vault.clock.clone();
    let first = crate::group_commit::commit(
        vault,
        &vault.consultations,
        Box::new(move |sql| {
            // The time is read under the commit lock, so journal lines stay in time order.
            let now = clock.now();
            if !meta::insert_consultation(sql, &d.id, &d.recipient_id, now, channel.code())? {
                return Ok(None);
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
            Ok(Some(now))
        }),
    )
    .await?;
    let Some(now) = first else {
        return Ok(None);
    };
    vault.feed.notify_waiters();
    let decision = decide_in(
        deposit.deposited_at,
        Some(now),
        now,
        rule_of(vault),
        &crate::place::of_deposit(vault, deposit),
    );
    if decision.state != DeliveryState::InPerson {
        return Ok(None);
    }
    Ok(Some(vault.notices.enqueue(
        vault,
        Pending {
            deposit: deposit.clone(),
            decision,
            consulted: now,
        },
    )))
}

/// The state to show for a deposit: its recorded state, or — while the notice of a consultation
/// in time is being filed — the decision that consultation already made.
pub fn shown_state(
    vault: &Vault,
    deposit: &DepositRow,
    consulted: Option<DateTime<Utc>>,
) -> DeliveryState {
    match (deposit.state.as_str(), consulted) {
        ("in_person", _) => DeliveryState::InPerson,
        ("at_home", _) => DeliveryState::AtHome,
        (_, Some(at)) => {
            decide_in(
                deposit.deposited_at,
                Some(at),
                vault.clock.now(),
                rule_of(vault),
                &crate::place::of_deposit(vault, deposit),
            )
            .state
        }
        _ => DeliveryState::AwaitingConsultation,
    }
}

/// A decision "à personne" waiting to be filed.
struct Pending {
    deposit: DepositRow,
    decision: Decision,
    consulted: DateTime<Utc>,
}

/// Resolves when the notice of one consultation has been filed (or its filing failed and was
/// left to the scheduler's catch-up).
pub type NoticeFiled = tokio::sync::oneshot::Receiver<()>;

/// Notices per batch: one commit files them all, and the first ones are not held back long.
const NOTICE_BATCH: usize = 32;

/// The delivery notices decided by consultations, filed by one background task at a time: it
/// renders and seals them one after the other (one core, so requests keep the other) and files
/// each batch in one commit.
#[derive(Default)]
pub struct Notices {
    queue: std::sync::Mutex<Vec<(Pending, tokio::sync::oneshot::Sender<()>)>>,
    /// Queued or being filed.
    pending: std::sync::atomic::AtomicUsize,
    running: std::sync::atomic::AtomicBool,
    idle: tokio::sync::Notify,
}

impl Notices {
    fn enqueue(&self, vault: &Arc<Vault>, item: Pending) -> NoticeFiled {
        use std::sync::atomic::Ordering::SeqCst;
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pending.fetch_add(1, SeqCst);
        if let Ok(mut q) = self.queue.lock() {
            q.push((item, tx));
        }
        if !self.running.swap(true, SeqCst) {
            tokio::spawn(drain_notices(vault.clone()));
        }
        rx
    }

    fn take(&self) -> Vec<(Pending, tokio::sync::oneshot::Sender<()>)> {
        self.queue
            .lock()
            .map(|mut q| {
                let n = q.len().min(NOTICE_BATCH);
                q.drain(..n).collect()
            })
            .unwrap_or_default()
    }
}

/// Waits until every notice queued so far is filed (tests, and a clean shutdown).
pub async fn settled(vault: &Vault) {
    use std::sync::atomic::Ordering::SeqCst;
    loop {
        let idle = vault.notices.idle.notified();
        if vault.notices.pending.load(SeqCst) == 0 {
            return;
        }
        idle.await;
    }
}

async fn drain_notices(vault: Arc<Vault>) {
    use std::sync::atomic::Ordering::SeqCst;
    let notices = &vault.notices;
    loop {
        let batch = notices.take();
        if batch.is_empty() {
            notices.running.store(false, SeqCst);
            // A notice queued between the take and the store found the task still running.
            let queued = notices.queue.lock().map(|q| !q.is_empty()).unwrap_or(false);
            if queued && !notices.running.swap(true, SeqCst) {
                continue;
            }
            return;
        }
        let n = batch.len();
        let mut prepared = Vec::with_capacity(n);
        let mut waiters = Vec::with_capacity(n);
        for (p, done) in batch {
            match prepare_notice(&vault, &p.deposit, &p.decision, Some(p.consulted)).await {
                Ok(notice) => prepared.push(notice),
                // Left to the scheduler's catch-up, which decides from the recorded consultation.
                Err(e) => tracing::error!(code = e.code(), detail = %e, "delivery notice"),
            }
            waiters.push(done);
        }
        if let Err(e) = commit_notices(&vault, prepared).await {
            tracing::error!(code = e.code(), detail = %e, "delivery notices");
        }
        for done in waiters {
            let _ = done.send(());
        }
        if notices.pending.fetch_sub(n, SeqCst) == n {
            notices.idle.notify_waiters();
        }
    }
}

/// Decides "à domicile" for every deposit whose deadline has passed without consultation (at
/// the vault's time); returns how many were decided.
pub async fn decide_due(vault: &Arc<Vault>) -> Result<usize> {
    let now = vault.clock.now();
    let rule = rule_of(vault);
    let mut decided = 0;
    // Consultations whose notice was not filed (the vault stopped in between): wherever their
    // deposit sorts among those awaiting.
    let mut consulted_first = true;
    loop {
        let batch = if consulted_first {
            vault
                .db(move |sql| meta::consulted_undecided(sql, 200))
                .await?
        } else {
            vault
                .db(move |sql| meta::awaiting_deposits(sql, now, 200))
                .await?
        };
        let n = batch.len();
        let mut progressed = false;
        for d in batch {
            let id = d.id.clone();
            let consulted = vault.db(move |sql| meta::consultation(sql, &id)).await?;
            let place = crate::place::of_deposit(vault, &d);
            let decision = decide_in(d.deposited_at, consulted, now, rule, &place);
            if decision.state == DeliveryState::AwaitingConsultation {
                continue;
            }
            if file_decision(vault, &d, &decision, consulted).await? {
                decided += 1;
                progressed = true;
            }
        }
        if n < 200 || !progressed {
            if consulted_first {
                consulted_first = false;
                continue;
            }
            return Ok(decided);
        }
    }
}

/// The next deadline among deposits still awaiting consultation, if any: the earliest of the
/// oldest ones' (each in its own place's day: a later deposit in La Réunion can end before an
/// older one in Paris).
pub async fn next_deadline(vault: &Arc<Vault>) -> Result<Option<DateTime<Utc>>> {
    let rule = rule_of(vault);
    // A far date that still formats as a four-digit year (stored times compare as text).
    let far = DateTime::<Utc>::from_timestamp(253_402_214_400, 0).unwrap_or_default();
    let oldest = vault
        .db(move |sql| meta::awaiting_deposits(sql, far, 200))
        .await?;
    Ok(oldest
        .iter()
        .map(|d| {
            let tz = crate::place::of_deposit(vault, d).time_zone();
            sceau_core::delivery::deadline_in(d.deposited_at, rule, tz)
        })
        .min())
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

/// The notice's line on the place whose day and calendar were applied, the deadline in its
/// local time when that is not Paris's.
fn place_row(place: &sceau_core::region::Region, deadline: DateTime<Utc>) -> (String, String) {
    let mut text = format!(
        "{} ({}), fuseau horaire {}, calendrier {}",
        place.name_fr(),
        place.code(),
        place.time_zone().name(),
        sceau_core::place::calendar_code(place)
    );
    if sceau_core::place::zone_named(place).is_some() {
        text.push_str(&format!(
            " ; échéance le {} heure locale",
            place.local(deadline).format("%d/%m/%Y %H:%M:%S")
        ));
    }
    ("Lieu appliqué".to_owned(), text)
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
        place_row(&crate::place::of_deposit(vault, d), decision.deadline),
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
                "à envoyer le {} (premier jour ouvrable suivant la transmission)",
                date_fr(letter)
            ),
        ));
    }
    let basis = decision.rule.legal_basis_fr();
    let explanation = if in_person {
        format!(
            "Le destinataire a pris connaissance de l'acte avant l'échéance prévue par la règle \
             appliquée : la signification est réputée faite à personne{basis}."
        )
    } else {
        format!(
            "Le destinataire n'a pas pris connaissance de l'acte avant l'échéance prévue par la \
             règle appliquée : la signification est réputée faite à domicile. L'étude doit \
             adresser au destinataire, le {} (premier jour ouvrable suivant la transmission), \
             une lettre simple l'informant de la signification électronique, de la nature de \
             l'acte et du nom du requérant{basis}.",
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
    let notice = prepare_notice(vault, d, decision, consulted).await?;
    Ok(commit_notices(vault, vec![notice]).await? == 1)
}

/// A rendered and sealed notice, its blobs stored, ready to be filed.
struct PreparedNotice {
    deposit: DepositRow,
    decision: Decision,
    decided_at: DateTime<Utc>,
    name: String,
    pdf_sha: [u8; 32],
    pdf: (String, u64),
    seal: (String, u64),
}

/// Renders and seals the notice of `decision` and stores both blobs (content-addressed: a
/// notice never filed leaves blobs that the collector removes).
async fn prepare_notice(
    vault: &Arc<Vault>,
    d: &DepositRow,
    decision: &Decision,
    consulted: Option<DateTime<Utc>>,
) -> Result<PreparedNotice> {
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
        .map_err(|e| crypto(CryptoError::Rendering(e)))?;
    let seal = vault.seal.seal(&pdf, now)?;
    let pdf_sha: [u8; 32] = Sha256::digest(&pdf).into();
    let (pdf_len, seal_len) = (pdf.len() as u64, seal.len() as u64);
    let (pdf_key, seal_key) = tokio::try_join!(vault.blobs.put(pdf), vault.blobs.put(seal))?;
    let act = d
        .files
        .first()
        .cloned()
        .unwrap_or_else(|| format!("{}.pdf", d.id));
    Ok(PreparedNotice {
        deposit: d.clone(),
        decision: decision.clone(),
        decided_at: now,
        name: delivery_notice_name(&act),
        pdf_sha,
        pdf: (pdf_key, pdf_len),
        seal: (seal_key, seal_len),
    })
}

/// Files prepared notices in one commit (each a guarded state change: a deposit decided
/// meanwhile is skipped); returns how many were filed.
async fn commit_notices(vault: &Arc<Vault>, notices: Vec<PreparedNotice>) -> Result<usize> {
    if notices.is_empty() {
        return Ok(0);
    }
    let retention = chrono::Months::new(12 * vault.config.retention_years);
    let guard = vault.commit_lock.lock().await;
    let filed = vault
        .db(move |sql| {
            // The journal's writer lock before any row (the group commit's order): two
            // instances deciding together never deadlock, and one of them finds it decided.
            crate::journal::serialise(sql)?;
            let mut filed = Vec::new();
            for n in &notices {
                if file_notice(sql, n, retention)? {
                    filed.push(n.deposit.id.clone());
                }
            }
            Ok(filed)
        })
        .await?;
    drop(guard);
    if !filed.is_empty() {
        vault.feed.notify_waiters();
        tracing::info!(decided = filed.len(), "delivery decided");
    }
    Ok(filed.len())
}

/// One notice's rows: state, the two files in the office's vault, the notice, the evidence.
fn file_notice(
    sql: &mut dyn crate::store::sql::Sql,
    n: &PreparedNotice,
    retention: chrono::Months,
) -> Result<bool> {
    let d = &n.deposit;
    let decision = &n.decision;
    let now = n.decided_at;
    if !meta::set_delivery_state(sql, &d.id, state_code(decision.state))? {
        return Ok(false);
    }
    let name = &n.name;
    let paths = meta::file_in_office_vault(
        sql,
        &d.office_id,
        ARCHIVE_FOLDER,
        &[
            (name.clone(), n.pdf.1, n.pdf.0.clone()),
            (format!("{name}.p7s"), n.seal.1, n.seal.0.clone()),
        ],
        &d.id,
        now,
        now.checked_add_months(retention),
    )?;
    let path = paths.first().cloned().unwrap_or_default();
    meta::insert_notice(
        sql,
        &NoticeRow {
            deposit_id: d.id.clone(),
            state: state_code(decision.state).into(),
            decided_at: now,
            effective_at: decision.effective_at.unwrap_or(now),
            name: name.clone(),
            path: path.clone(),
            sha256: n.pdf.0.clone(),
            letter_date: decision.letter_date,
        },
    )?;
    let (event, message) = if decision.state == DeliveryState::InPerson {
        (
            EvidenceEvent::DeliveredInPerson,
            format!("Création de l'attestation de remise à personne {name}"),
        )
    } else {
        (
            EvidenceEvent::DeliveredAtHome,
            format!(
                "Création de l'attestation de remise à domicile {name} (lettre simple au plus \
                 tard le {})",
                decision.letter_date.map(date_fr).unwrap_or_default()
            ),
        )
    };
    let sender = "coffre";
    let digests = vec![(name.clone(), n.pdf_sha)];
    journal::append(
        sql,
        &[
            Entry {
                record: journal::record(
                    event,
                    now,
                    sender,
                    &d.recipient_id,
                    &d.id,
                    digests.clone(),
                    Some(decision.rule.code().into()),
                ),
                office_id: Some(d.office_id.clone()),
                message,
            },
            Entry {
                record: journal::record(
                    EvidenceEvent::DeliveryNoticeFiled,
                    now,
                    sender,
                    &d.recipient_id,
                    &d.id,
                    digests,
                    None,
                ),
                office_id: Some(d.office_id.clone()),
                message: format!("Fichier {name} déposé dans votre coffre ({path})"),
            },
        ],
    )?;
    Ok(true)
}
