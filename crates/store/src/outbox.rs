//! The durable outbox: prepared packages waiting for upload. Every transition is one
//! transaction guarded by the state it starts from, so a crash at any point leaves each package
//! in exactly one state, and two workers can never both claim it.
//!
//! ```text
//! prepared ──claim──▶ uploading ──complete──▶ deposited
//!    ▲                   │  │
//!    └──retry / recover──┘  └──fail (permanent)──▶ failed ──retry──▶ prepared
//! ```
//!
//! A package interrupted while `uploading` (crash, token removed, network down) goes back to
//! `prepared` and is sent again with the same idempotency key, so the vault never creates a
//! second service.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rand_core::{OsRng, RngCore};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use crate::error::{Error, Result};
use crate::services::{insert_service_tx, mark_deposited_tx, NewService, ServiceId};
use crate::{from_ms, now_ms, Store};

/// Where a package is in the outbox (serialised as its [`OutboxState::code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Ready, waiting for its time (network, reception hours, retry delay).
    Prepared,
    /// Claimed by an uploader.
    Uploading,
    /// Accepted by the vault.
    Deposited,
    /// Refused for good (the user must act: retry or cancel).
    Failed,
}

impl OutboxState {
    /// The stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            OutboxState::Prepared => "prepared",
            OutboxState::Uploading => "uploading",
            OutboxState::Deposited => "deposited",
            OutboxState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "prepared" => OutboxState::Prepared,
            "uploading" => OutboxState::Uploading,
            "deposited" => OutboxState::Deposited,
            "failed" => OutboxState::Failed,
            other => {
                return Err(Error::Corrupt {
                    detail: format!("outbox state {other:?}"),
                })
            }
        })
    }
}

/// A package in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// Its identifier.
    pub id: i64,
    /// Sent with every upload attempt; stable for the life of the package.
    pub idempotency_key: String,
    /// The service the package deposits.
    pub service_id: ServiceId,
    /// The prepared package on disk.
    pub package_path: PathBuf,
    /// Its state.
    pub state: OutboxState,
    /// Upload attempts so far.
    pub attempts: u32,
    /// Not to be sent before this time.
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure, for the user.
    pub last_error: Option<String>,
    /// The vault's deposit identifier, once deposited.
    pub deposit_id: Option<String>,
}

/// A package waiting in the outbox with what the user recognises it by (its service's
/// reference and recipient), read in one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// The package's identifier.
    pub id: i64,
    /// Its state.
    pub state: OutboxState,
    /// Upload attempts so far.
    pub attempts: u32,
    /// The vault's deposit identifier, once deposited.
    pub deposit_id: Option<String>,
    /// Not to be sent before this time.
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure, for the user.
    pub last_error: Option<String>,
    /// The service it deposits.
    pub service_id: ServiceId,
    /// The service's reference.
    pub reference: String,
    /// The recipient's name.
    pub recipient_name: String,
    /// When the service was prepared.
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, idempotency_key, service_id, package_path, state, attempts, \
                       next_attempt_at, last_error, deposit_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<(OutboxItem, String)> {
    Ok((
        OutboxItem {
            id: r.get(0)?,
            idempotency_key: r.get(1)?,
            service_id: ServiceId(r.get(2)?),
            package_path: PathBuf::from(r.get::<_, String>(3)?),
            state: OutboxState::Prepared,
            attempts: r.get(5)?,
            next_attempt_at: from_ms(r.get(6)?),
            last_error: r.get(7)?,
            deposit_id: r.get(8)?,
        },
        r.get(4)?,
    ))
}

fn finish((mut item, state): (OutboxItem, String)) -> Result<OutboxItem> {
    item.state = OutboxState::parse(&state)?;
    Ok(item)
}

fn item(conn: &Connection, id: i64) -> Result<OutboxItem> {
    let row = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?
        .ok_or(Error::NotFound {
            what: "outbox item",
            id: id.to_string(),
        })?;
    finish(row)
}

/// Moves `id` from `from` to `to` (with extra assignments), or fails with the state it is in.
fn transition(
    conn: &Connection,
    id: i64,
    from: &[OutboxState],
    expected: &'static str,
    set: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<()> {
    let current = item(conn, id)?;
    if !from.contains(&current.state) {
        return Err(Error::InvalidTransition {
            id,
            actual: current.state.code().into(),
            expected,
        });
    }
    let sql = format!(
        "UPDATE outbox SET {set}, updated_at = {} WHERE id = {id} AND state = '{}'",
        now_ms(),
        current.state.code()
    );
    let n = conn.execute(&sql, args)?;
    if n != 1 {
        return Err(Error::InvalidTransition {
            id,
            actual: "changed concurrently".into(),
            expected,
        });
    }
    Ok(())
}

fn new_idempotency_key() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Records a service and queues its package in the open transaction.
pub(crate) fn enqueue_service_tx(
    tx: &Connection,
    new: &NewService,
    package_path: &std::path::Path,
    not_before: DateTime<Utc>,
) -> Result<OutboxItem> {
    let sid = insert_service_tx(tx, new)?;
    let now = now_ms();
    tx.execute(
        "INSERT INTO outbox (idempotency_key, service_id, package_path, state, attempts,
             next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, 'prepared', 0, ?4, ?5, ?5)",
        params![
            new_idempotency_key(),
            sid.0,
            package_path.to_string_lossy(),
            not_before.timestamp_millis(),
            now
        ],
    )?;
    let id = tx.last_insert_rowid();
    crate::services::add_history_tx(tx, sid, Utc::now(), "Acte placé dans la file d'envoi")?;
    item(tx, id)
}

impl Store {
    /// Records a prepared service and queues its package, in one transaction: a service
    /// prepared offline is never without its outbox entry.
    pub fn enqueue_service(
        &mut self,
        new: &NewService,
        package_path: &std::path::Path,
        not_before: DateTime<Utc>,
    ) -> Result<OutboxItem> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = enqueue_service_tx(&tx, new, package_path, not_before)?;
        tx.commit()?;
        Ok(out)
    }

    /// The outbox item `id`.
    pub fn outbox_item(&self, id: i64) -> Result<OutboxItem> {
        item(&self.conn, id)
    }

    /// The outbox item of service `service`, if it has one.
    pub fn outbox_item_of(&self, service: ServiceId) -> Result<Option<OutboxItem>> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM outbox WHERE service_id = ?1"),
                [service.0],
                from_row,
            )
            .optional()?;
        row.map(finish).transpose()
    }

    /// The outbox, oldest first, optionally only one state.
    pub fn outbox_list(&self, state: Option<OutboxState>) -> Result<Vec<OutboxItem>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE ?1 IS NULL OR state = ?1 ORDER BY id"
        ))?;
        let rows = st.query_map([state.map(OutboxState::code)], from_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(finish(row?)?);
        }
        Ok(out)
    }

    /// How many packages are in `state` (without reading them).
    pub fn outbox_count(&self, state: OutboxState) -> Result<usize> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM outbox WHERE state = ?1",
            [state.code()],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// The outbox as the window and `sceau outbox list` show it: every package with its
    /// service's reference, recipient and creation time, in one query (no look-up per row).
    pub fn outbox_view(&self) -> Result<Vec<OutboxRow>> {
        let mut st = self.conn.prepare_cached(
            "SELECT o.id, o.state, o.next_attempt_at, o.last_error, o.service_id,
                    s.reference, s.recipient_name, s.created_at, o.attempts, o.deposit_id
             FROM outbox o JOIN services s ON s.id = o.service_id ORDER BY o.id",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                OutboxRow {
                    id: r.get(0)?,
                    state: OutboxState::Prepared,
                    next_attempt_at: from_ms(r.get(2)?),
                    last_error: r.get(3)?,
                    service_id: ServiceId(r.get(4)?),
                    reference: r.get(5)?,
                    recipient_name: r.get(6)?,
                    created_at: from_ms(r.get(7)?),
                    attempts: r.get(8)?,
                    deposit_id: r.get(9)?,
                },
                r.get::<_, String>(1)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut item, state) = row?;
            item.state = OutboxState::parse(&state)?;
            out.push(item);
        }
        Ok(out)
    }

    /// Claims the next prepared package due at `now` for upload (prepared → uploading, one more
    /// attempt), or `None` if nothing is due.
    pub fn claim_next(&mut self, now: DateTime<Utc>) -> Result<Option<OutboxItem>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id: Option<i64> = tx
            .query_row(
                "SELECT id FROM outbox WHERE state = 'prepared' AND next_attempt_at <= ?1
                 ORDER BY next_attempt_at, id LIMIT 1",
                [now.timestamp_millis()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else { return Ok(None) };
        transition(
            &tx,
            id,
            &[OutboxState::Prepared],
            "prepared",
            "state = 'uploading', attempts = attempts + 1",
            &[],
        )?;
        let out = item(&tx, id)?;
        tx.commit()?;
        Ok(Some(out))
    }

    /// The vault accepted the package (uploading → deposited) and the service becomes
    /// "awaiting consultation", in one transaction. Repeating it with the same deposit id is a
    /// no-op (the acknowledgement may be replayed after a crash).
    pub fn complete_upload(
        &mut self,
        id: i64,
        deposit_id: &str,
        served_at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = item(&tx, id)?;
        if current.state == OutboxState::Deposited
            && current.deposit_id.as_deref() == Some(deposit_id)
        {
            return Ok(());
        }
        transition(
            &tx,
            id,
            &[OutboxState::Uploading],
            "uploading",
            "state = 'deposited', deposit_id = ?1, last_error = NULL",
            &[&deposit_id],
        )?;
        mark_deposited_tx(&tx, current.service_id, deposit_id, served_at)?;
        tx.commit()?;
        Ok(())
    }

    /// The upload failed: back to prepared for a retry at `retry_at`, or failed for good if
    /// `retry_at` is `None` (the vault refused the package).
    pub fn fail_upload(
        &mut self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        match retry_at {
            Some(at) => transition(
                &tx,
                id,
                &[OutboxState::Uploading],
                "uploading",
                "state = 'prepared', last_error = ?1, next_attempt_at = ?2",
                &[&error, &at.timestamp_millis()],
            )?,
            None => {
                transition(
                    &tx,
                    id,
                    &[OutboxState::Uploading],
                    "uploading",
                    "state = 'failed', last_error = ?1",
                    &[&error],
                )?;
                let sid = item(&tx, id)?.service_id;
                crate::services::add_history_tx(
                    &tx,
                    sid,
                    Utc::now(),
                    &format!("Dépôt refusé : {error}"),
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// A failed package is queued again (the user's "retry"), due at `at`.
    pub fn retry_failed(&mut self, id: i64, at: DateTime<Utc>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        transition(
            &tx,
            id,
            &[OutboxState::Failed],
            "failed",
            "state = 'prepared', next_attempt_at = ?1",
            &[&at.timestamp_millis()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// After a crash or restart: every package left `uploading` goes back to `prepared`, due
    /// now (the idempotency key makes the second upload safe). Returns how many.
    pub fn recover_interrupted(&mut self) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE outbox SET state = 'prepared', next_attempt_at = ?1, updated_at = ?1,
                 last_error = coalesce(last_error, 'interrompu')
             WHERE state = 'uploading'",
            [now_ms()],
        )?)
    }

    /// Cancels a package not deposited yet (prepared or failed): the package and its service
    /// are removed. A package being uploaded or deposited cannot be cancelled.
    pub fn cancel(&mut self, id: i64) -> Result<ServiceId> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = item(&tx, id)?;
        if !matches!(current.state, OutboxState::Prepared | OutboxState::Failed) {
            return Err(Error::InvalidTransition {
                id,
                actual: current.state.code().into(),
                expected: "prepared or failed",
            });
        }
        tx.execute("DELETE FROM outbox WHERE id = ?1", [id])?;
        tx.execute("DELETE FROM services WHERE id = ?1", [current.service_id.0])?;
        tx.commit()?;
        Ok(current.service_id)
    }
}
