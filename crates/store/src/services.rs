//! Services (one act served to one recipient), their documents and history, and search.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use sceau_core::delivery::{DeliveryState, NotificationCategory};

use crate::dashboard::insert_notification;
use crate::error::{Error, Result};
use crate::query::Params;
use crate::{from_ms, normalize, prefix_end, Page, Store, PAGE_SIZE};

/// The local identifier of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceId(pub i64);

impl std::fmt::Display for ServiceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

pub use sceau_core::delivery::Source;

/// A code read back from the database that names no known value.
fn corrupt(e: sceau_core::CoreError) -> Error {
    Error::Corrupt {
        detail: e.to_string(),
    }
}

/// A document of a new service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// File name as shown to the user (e.g. `9991_REF_20130917_145203.pdf`).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file.
    pub sha256: [u8; 32],
    /// Where the file is kept on this workstation.
    pub local_path: PathBuf,
}

/// A service to record, before deposit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewService {
    /// The office's reference for the deposit.
    pub reference: String,
    /// The recipient's identifier in the vault.
    pub recipient_id: String,
    /// The recipient's name (shown and searched; the database is encrypted).
    pub recipient_name: String,
    /// Code of the nature of the act.
    pub nature: String,
    /// Form or EDI.
    pub source: Source,
    /// When the service was prepared.
    pub created_at: DateTime<Utc>,
    /// Its documents.
    pub documents: Vec<NewDocument>,
    /// The party on whose behalf the act is served (printed on the plain letter).
    pub requerant: Option<String>,
    /// The EDI batch it was imported from (see [`Service::edi_batch`]).
    pub edi_batch: Option<String>,
}

/// A service as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Local identifier.
    pub id: ServiceId,
    /// The office's reference.
    pub reference: String,
    /// The recipient's identifier in the vault.
    pub recipient_id: String,
    /// The recipient's name.
    pub recipient_name: String,
    /// Code of the nature of the act.
    pub nature: String,
    /// Form or EDI.
    pub source: Source,
    /// Delivery state; `None` until the vault has accepted the deposit.
    pub state: Option<DeliveryState>,
    /// When the service was prepared.
    pub created_at: DateTime<Utc>,
    /// Time of service (the vault's time of transmission), once deposited.
    pub served_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The deposit's identifier in the vault, once deposited.
    pub vault_deposit_id: Option<String>,
    /// The party on whose behalf the act is served, if recorded (services prepared before
    /// schema v5 have none).
    pub requerant: Option<String>,
    /// For a service imported from an EDI batch, the batch's identifier (a digest of its
    /// manifest and files).
    pub edi_batch: Option<String>,
}

/// A document of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file.
    pub sha256: [u8; 32],
    /// Where the file is kept on this workstation.
    pub local_path: PathBuf,
}

/// One line of a service's history (the detail sheet's table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    /// When.
    pub at: DateTime<Utc>,
    /// What happened, in French.
    pub message: String,
}

/// Search criteria (the manual's search form); every given criterion must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchCriteria {
    /// Time of service from (inclusive).
    pub served_from: Option<DateTime<Utc>>,
    /// Time of service until (exclusive).
    pub served_until: Option<DateTime<Utc>>,
    /// Delivery state.
    pub state: Option<DeliveryState>,
    /// Reference: starts with (case and accents ignored).
    pub reference: Option<String>,
    /// A document's name: starts with (case and accents ignored).
    pub document_name: Option<String>,
    /// Recipient's name: starts with (case and accents ignored).
    pub recipient: Option<String>,
    /// Recipient's vault identifier, exactly.
    pub recipient_id: Option<String>,
    /// Nature code, exactly.
    pub nature: Option<String>,
    /// Form or EDI.
    pub source: Option<Source>,
    /// The order of the results (default: most recent time of service first).
    pub sort: SearchSort,
}

/// The column search results are sorted by (the result table's sortable columns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// Time of service (services not yet deposited come after every deposited one when
    /// descending, before them when ascending).
    #[default]
    Date,
    /// Reference (case and accents ignored).
    Reference,
    /// Recipient's name (case and accents ignored).
    Recipient,
    /// Delivery state, in the order of its French labels: awaiting consultation (and not yet
    /// deposited), delivered at home, delivered in person.
    State,
}

/// The order of search results: a key and a direction; ties are broken by time of service and
/// then by id in the same direction, so that pages never overlap or skip a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SearchSort {
    /// The column.
    pub key: SortKey,
    /// Largest first (most recent date, Z to A).
    pub descending: bool,
}

impl Default for SearchSort {
    /// Most recent first: the index order of `services_by_date`.
    fn default() -> Self {
        SearchSort {
            key: SortKey::Date,
            descending: true,
        }
    }
}

impl SearchSort {
    /// The `ORDER BY` terms (every one index-ordered except the state's label order).
    fn order_by(self) -> String {
        let dir = if self.descending { "DESC" } else { "ASC" };
        let key = match self.key {
            SortKey::Date => return format!("s.served_at {dir}, s.id {dir}"),
            SortKey::Reference => "s.reference_norm",
            SortKey::Recipient => "s.recipient_norm",
            SortKey::State => {
                "CASE s.state WHEN 'at_home' THEN 1 WHEN 'in_person' THEN 2 ELSE 0 END"
            }
        };
        format!("{key} {dir}, s.served_at {dir}, s.id {dir}")
    }
}

/// Above this many matches a prefix criterion is "broad" (see [`Store::search`]).
const BROAD: i64 = 2000;

const SERVICE_COLUMNS: &str = "s.id, s.reference, s.recipient_id, s.recipient_name, s.nature, \
     s.source, s.state, s.created_at, s.served_at, s.updated_at, s.vault_deposit_id, s.requerant, \
     s.edi_batch";

fn service_from_row(r: &Row<'_>) -> rusqlite::Result<(Service, String, Option<String>)> {
    Ok((
        Service {
            id: ServiceId(r.get(0)?),
            reference: r.get(1)?,
            recipient_id: r.get(2)?,
            recipient_name: r.get(3)?,
            nature: r.get(4)?,
            source: Source::Form,
            state: None,
            created_at: from_ms(r.get(7)?),
            served_at: r.get::<_, Option<i64>>(8)?.map(from_ms),
            updated_at: from_ms(r.get(9)?),
            vault_deposit_id: r.get(10)?,
            requerant: r.get(11)?,
            edi_batch: r.get(12)?,
        },
        r.get(5)?,
        r.get(6)?,
    ))
}

fn finish_service((mut s, source, state): (Service, String, Option<String>)) -> Result<Service> {
    s.source = source.parse().map_err(corrupt)?;
    s.state = state
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(corrupt)?;
    Ok(s)
}

pub(crate) fn add_history_tx(
    tx: &Connection,
    id: ServiceId,
    at: DateTime<Utc>,
    message: &str,
) -> Result<()> {
    tx.prepare_cached("INSERT INTO history (service_id, at, message) VALUES (?1, ?2, ?3)")?
        .execute(params![id.0, at.timestamp_millis(), message])?;
    Ok(())
}

pub(crate) fn service_tx(tx: &Connection, id: ServiceId) -> Result<Service> {
    let row = tx
        .prepare_cached(&format!(
            "SELECT {SERVICE_COLUMNS} FROM services s WHERE s.id = ?1"
        ))?
        .query_row([id.0], service_from_row)
        .optional()?
        .ok_or(Error::NotFound {
            what: "service",
            id: id.to_string(),
        })?;
    finish_service(row)
}

/// Records the vault's acceptance of a deposit in the open transaction.
pub(crate) fn mark_deposited_tx(
    tx: &Connection,
    id: ServiceId,
    deposit_id: &str,
    served_at: DateTime<Utc>,
) -> Result<()> {
    let s = service_tx(tx, id)?;
    if s.vault_deposit_id.as_deref() == Some(deposit_id) {
        return Ok(()); // Already recorded (a replayed acknowledgement).
    }
    tx.prepare_cached(
        "UPDATE services SET state = 'awaiting_consultation', served_at = ?2, updated_at = ?3,
             vault_deposit_id = ?4 WHERE id = ?1",
    )?
    .execute(params![
        id.0,
        served_at.timestamp_millis(),
        crate::now_ms(),
        deposit_id
    ])?;
    let file = first_document_name(tx, id)?;
    insert_notification(
        tx,
        id,
        NotificationCategory::AwaitingConsultation,
        served_at,
        "Acte déposé, en attente de consultation",
        file.as_deref(),
    )?;
    add_history_tx(
        tx,
        id,
        served_at,
        "Acte déposé dans le coffre-fort du destinataire",
    )?;
    Ok(())
}

fn first_document_name(tx: &Connection, id: ServiceId) -> Result<Option<String>> {
    Ok(tx
        .prepare_cached("SELECT name FROM documents WHERE service_id = ?1 ORDER BY id LIMIT 1")?
        .query_row([id.0], |r| r.get(0))
        .optional()?)
}

impl Store {
    /// Records a prepared service with its documents (one transaction).
    pub fn insert_service(&mut self, new: &NewService) -> Result<ServiceId> {
        let tx = self.conn.transaction()?;
        let id = insert_service_tx(&tx, new)?;
        tx.commit()?;
        Ok(id)
    }

    /// The service `id`.
    pub fn service(&self, id: ServiceId) -> Result<Service> {
        service_tx(&self.conn, id)
    }

    /// The service whose office reference is exactly `reference` (the most recent if several).
    pub fn service_by_reference(&self, reference: &str) -> Result<Option<Service>> {
        service_by_reference_tx(&self.conn, reference)
    }

    /// The service the vault knows as `deposit_id`, if it is in this store.
    pub fn service_by_deposit_id(&self, deposit_id: &str) -> Result<Option<Service>> {
        service_by_deposit_id_tx(&self.conn, deposit_id)
    }

    /// The documents of service `id`, in the order they were added.
    pub fn documents(&self, id: ServiceId) -> Result<Vec<Document>> {
        let mut st = self.conn.prepare_cached(
            "SELECT name, size, sha256, local_path FROM documents WHERE service_id = ?1 ORDER BY id",
        )?;
        let rows = st.query_map([id.0], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (name, size, sha, path) = row?;
            out.push(Document {
                name,
                size: u64::try_from(size).map_err(|_| Error::Corrupt {
                    detail: format!("document size {size}"),
                })?,
                sha256: sha.as_slice().try_into().map_err(|_| Error::Corrupt {
                    detail: "document digest length".into(),
                })?,
                local_path: PathBuf::from(path),
            });
        }
        Ok(out)
    }

    /// The history of service `id`, oldest first.
    pub fn history(&self, id: ServiceId) -> Result<Vec<HistoryLine>> {
        let mut st = self.conn.prepare_cached(
            "SELECT at, message FROM history WHERE service_id = ?1 ORDER BY at, id",
        )?;
        let rows = st.query_map([id.0], |r| {
            Ok(HistoryLine {
                at: from_ms(r.get(0)?),
                message: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Adds a line to the history of service `id`.
    pub fn add_history(&mut self, id: ServiceId, at: DateTime<Utc>, message: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        service_tx(&tx, id)?;
        add_history_tx(&tx, id, at, message)?;
        tx.commit()?;
        Ok(())
    }

    /// Records that the vault accepted the deposit of service `id` at `served_at` (time of
    /// service): state "awaiting consultation", a notification, a history line. Idempotent for
    /// the same `deposit_id`.
    pub fn mark_deposited(
        &mut self,
        id: ServiceId,
        deposit_id: &str,
        served_at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        mark_deposited_tx(&tx, id, deposit_id, served_at)?;
        tx.commit()?;
        Ok(())
    }

    /// Records the delivery state decided by the vault: the service leaves "awaiting
    /// consultation" (its notification there is withdrawn) and a notification of the new state
    /// is added with a history line. Setting the state it already has does nothing.
    pub fn set_delivery_state(
        &mut self,
        id: ServiceId,
        state: DeliveryState,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        set_delivery_state_tx(&tx, id, state, at)?;
        tx.commit()?;
        Ok(())
    }

    /// Records a return of the act (the recipient's answer) deposited at `at` as `file`.
    pub fn record_return(&mut self, id: ServiceId, at: DateTime<Utc>, file: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        record_return_tx(&tx, id, at, file)?;
        tx.commit()?;
        Ok(())
    }

    /// Runs `f` on a [`Batch`]: many changes in one transaction (an EDI import, a sync of the
    /// event feed), committed if `f` succeeds, rolled back otherwise.
    pub fn batch<R>(&mut self, f: impl FnOnce(&mut Batch<'_>) -> Result<R>) -> Result<R> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut batch = Batch { tx };
        let out = f(&mut batch)?;
        batch.tx.commit()?;
        Ok(out)
    }

    /// One page of services matching `criteria` in its order (by default most recent time of
    /// service first, services not yet deposited last).
    pub fn search(&self, criteria: &SearchCriteria, page: usize) -> Result<Page<Service>> {
        // The page's ids are chosen first, from index entries only where the indexes cover the
        // criteria (a recipient's 500 services are not read from disk to sort them), then only
        // those rows are read.
        let (sql, mut args) = self.search_ids(criteria, true)?;
        let window = args.page_window(page);
        let order = criteria.sort.order_by();
        let sql = format!(
            "SELECT {SERVICE_COLUMNS} FROM services s WHERE s.id IN ({sql}
                 ORDER BY {order} {window})
             ORDER BY {order}"
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        let params = args.as_slice();
        let rows = st.query_map(params.as_slice(), service_from_row)?;
        let mut items = Vec::with_capacity(PAGE_SIZE + 1);
        for row in rows {
            items.push(finish_service(row?)?);
        }
        let has_more = items.len() > PAGE_SIZE;
        items.truncate(PAGE_SIZE);
        Ok(Page {
            items,
            page,
            has_more,
        })
    }

    /// How many services match `criteria` (the search's total; its sort is ignored). An index
    /// count: tens of milliseconds for a million services.
    pub fn search_count(&self, criteria: &SearchCriteria) -> Result<u64> {
        let (sql, args) = self.search_ids(criteria, false)?;
        let params = args.as_slice();
        let n: i64 = self
            .conn
            .prepare_cached(&format!("SELECT count(*) FROM ({sql})"))?
            .query_row(params.as_slice(), |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// `SELECT s.id FROM services s WHERE …` for `criteria`, and its parameters. `for_order`:
    /// a broad prefix criterion may be kept off its index so that SQLite walks the sort's
    /// order (see below); a count has no order, so it uses every index.
    fn search_ids(&self, criteria: &SearchCriteria, for_order: bool) -> Result<(String, Params)> {
        let mut sql = String::from("SELECT s.id FROM services s WHERE 1 = 1");
        let mut args = Params::new(Vec::new());
        if let Some(from) = criteria.served_from {
            args.bind(
                &mut sql,
                " AND s.served_at >= ?",
                Box::new(from.timestamp_millis()),
            );
        }
        if let Some(until) = criteria.served_until {
            args.bind(
                &mut sql,
                " AND s.served_at < ?",
                Box::new(until.timestamp_millis()),
            );
        }
        if let Some(state) = criteria.state {
            args.bind(&mut sql, " AND s.state = ?", Box::new(state.code()));
        }
        if let Some(source) = criteria.source {
            args.bind(&mut sql, " AND s.source = ?", Box::new(source.code()));
        }
        if let Some(nature) = &criteria.nature {
            args.bind(&mut sql, " AND s.nature = ?", Box::new(nature.clone()));
        }
        if let Some(rid) = &criteria.recipient_id {
            args.bind(&mut sql, " AND s.recipient_id = ?", Box::new(rid.clone()));
        }
        // Prefix criteria: a selective prefix is best served by its own index (then a sort of
        // at most BROAD rows); a broad one ("banque") would sort hundreds of thousands of rows,
        // so it is written `+column` to keep SQLite off its index and walk the sort's index
        // order instead, where matches are dense enough to fill a page quickly. Not when the
        // sort is this very column (its index is then the order) or the state (whose label
        // order no index holds: every match is sorted, the fewer the better).
        let walk_order = |column: &str| {
            for_order
                && match criteria.sort.key {
                    SortKey::Date => true,
                    SortKey::Reference => column != "reference_norm",
                    SortKey::Recipient => column != "recipient_norm",
                    SortKey::State => false,
                }
        };
        for (column, value) in [
            ("reference_norm", &criteria.reference),
            ("recipient_norm", &criteria.recipient),
        ] {
            if let Some(v) = value {
                let p = normalize(v);
                let end = prefix_end(&p);
                let plus =
                    if walk_order(column) && self.prefix_is_broad("services", column, &p, &end)? {
                        "+"
                    } else {
                        ""
                    };
                args.bind(
                    &mut sql,
                    &format!(" AND {plus}s.{column} >= ?"),
                    Box::new(p),
                );
                args.bind(
                    &mut sql,
                    &format!(" AND {plus}s.{column} < ?"),
                    Box::new(end),
                );
            }
        }
        if let Some(name) = &criteria.document_name {
            let p = normalize(name);
            let end = prefix_end(&p);
            if walk_order("name_norm")
                && self.prefix_is_broad("documents", "name_norm", &p, &end)?
            {
                args.bind(
                    &mut sql,
                    " AND EXISTS (SELECT 1 FROM documents d WHERE d.service_id = s.id
                         AND +d.name_norm >= ?",
                    Box::new(p),
                );
                args.bind(&mut sql, " AND +d.name_norm < ?)", Box::new(end));
            } else {
                args.bind(
                    &mut sql,
                    " AND s.id IN (SELECT service_id FROM documents WHERE name_norm >= ?",
                    Box::new(p),
                );
                args.bind(&mut sql, " AND name_norm < ?)", Box::new(end));
            }
        }
        Ok((sql, args))
    }

    /// Whether more than [`BROAD`] rows of `table` have `column` in the prefix range (an index
    /// walk that stops at the threshold: about a millisecond).
    fn prefix_is_broad(&self, table: &str, column: &str, p: &str, end: &str) -> Result<bool> {
        let n: i64 = self
            .conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {column} >= ?1 AND {column} < ?2
                 LIMIT {BROAD})"
            ))?
            .query_row(params![p, end], |r| r.get(0))?;
        Ok(n >= BROAD)
    }

    /// Refreshes the query planner's statistics (after a bulk import; cheap otherwise).
    pub fn optimize(&self) -> Result<()> {
        self.conn.execute_batch("PRAGMA optimize;")?;
        Ok(())
    }

    /// Full statistics for the query planner (after a very large import).
    pub fn analyze(&self) -> Result<()> {
        self.conn.execute_batch("ANALYZE;")?;
        Ok(())
    }
}

pub(crate) fn insert_service_tx(tx: &Connection, new: &NewService) -> Result<ServiceId> {
    let now = crate::now_ms();
    tx.prepare_cached(
        "INSERT INTO services (reference, reference_norm, recipient_id, recipient_name,
             recipient_norm, nature, source, state, created_at, served_at, updated_at, requerant,
             edi_batch)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, NULL, ?9, ?10, ?11)",
    )?
    .execute(params![
        new.reference,
        normalize(&new.reference),
        new.recipient_id,
        new.recipient_name,
        normalize(&new.recipient_name),
        new.nature,
        new.source.code(),
        new.created_at.timestamp_millis(),
        now,
        new.requerant,
        new.edi_batch,
    ])?;
    let id = ServiceId(tx.last_insert_rowid());
    let mut st = tx.prepare_cached(
        "INSERT INTO documents (service_id, name, name_norm, size, sha256, local_path)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for d in &new.documents {
        let size = i64::try_from(d.size).map_err(|_| Error::Corrupt {
            detail: format!("document size {}", d.size),
        })?;
        st.execute(params![
            id.0,
            d.name,
            normalize(&d.name),
            size,
            &d.sha256[..],
            d.local_path.to_string_lossy(),
        ])?;
    }
    add_history_tx(tx, id, new.created_at, "Acte préparé (converti et signé)")?;
    Ok(id)
}

pub(crate) fn set_delivery_state_tx(
    tx: &Connection,
    id: ServiceId,
    state: DeliveryState,
    at: DateTime<Utc>,
) -> Result<()> {
    let s = service_tx(tx, id)?;
    if s.state == Some(state) {
        return Ok(());
    }
    tx.prepare_cached("UPDATE services SET state = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id.0, state.code(), crate::now_ms()])?;
    tx.prepare_cached(
        "DELETE FROM notifications WHERE service_id = ?1 AND category = 'awaiting_consultation'",
    )?
    .execute([id.0])?;
    let (event, history) = match state {
        DeliveryState::AwaitingConsultation => (
            "En attente de consultation",
            "Acte en attente de consultation",
        ),
        DeliveryState::InPerson => (
            "Remis à personne",
            "Acte remis à personne (consulté par le destinataire)",
        ),
        DeliveryState::AtHome => (
            "Remis à domicile",
            "Acte remis à domicile (non consulté dans le délai) : lettre simple à envoyer",
        ),
    };
    let file = first_document_name(tx, id)?;
    insert_notification(
        tx,
        id,
        NotificationCategory::of_state(state),
        at,
        event,
        file.as_deref(),
    )?;
    add_history_tx(tx, id, at, history)
}

pub(crate) fn record_return_tx(
    tx: &Connection,
    id: ServiceId,
    at: DateTime<Utc>,
    file: &str,
) -> Result<()> {
    service_tx(tx, id)?;
    insert_notification(
        tx,
        id,
        NotificationCategory::ReturnAwaitingConsultation,
        at,
        "Retour d'acte déposé",
        Some(file),
    )?;
    add_history_tx(tx, id, at, &format!("Retour d'acte déposé : {file}"))
}

fn service_by_reference_tx(conn: &Connection, reference: &str) -> Result<Option<Service>> {
    let row = conn
        .query_row(
            &format!(
                "SELECT {SERVICE_COLUMNS} FROM services s WHERE s.reference_norm = ?1
                 AND s.reference = ?2 ORDER BY s.id DESC LIMIT 1"
            ),
            params![normalize(reference), reference],
            service_from_row,
        )
        .optional()?;
    row.map(finish_service).transpose()
}

fn service_by_deposit_id_tx(conn: &Connection, deposit_id: &str) -> Result<Option<Service>> {
    let row = conn
        .query_row(
            &format!("SELECT {SERVICE_COLUMNS} FROM services s WHERE s.vault_deposit_id = ?1"),
            [deposit_id],
            service_from_row,
        )
        .optional()?;
    row.map(finish_service).transpose()
}

/// Several changes in one transaction (see [`Store::batch`]).
pub struct Batch<'a> {
    tx: Transaction<'a>,
}

impl Batch<'_> {
    /// As [`Store::insert_service`].
    pub fn insert_service(&mut self, new: &NewService) -> Result<ServiceId> {
        insert_service_tx(&self.tx, new)
    }

    /// As [`Store::enqueue_service`], in the batch's transaction (an EDI chunk is queued whole
    /// or not at all).
    pub fn enqueue_service(
        &mut self,
        new: &NewService,
        package_path: &std::path::Path,
        not_before: DateTime<Utc>,
    ) -> Result<crate::OutboxItem> {
        crate::outbox::enqueue_service_tx(&self.tx, new, package_path, not_before)
    }

    /// As [`Store::service_by_reference`], inside the transaction.
    pub fn service_by_reference(&self, reference: &str) -> Result<Option<Service>> {
        service_by_reference_tx(&self.tx, reference)
    }

    /// As [`Store::mark_deposited`].
    pub fn mark_deposited(
        &mut self,
        id: ServiceId,
        deposit_id: &str,
        served_at: DateTime<Utc>,
    ) -> Result<()> {
        mark_deposited_tx(&self.tx, id, deposit_id, served_at)
    }

    /// As [`Store::set_delivery_state`].
    pub fn set_delivery_state(
        &mut self,
        id: ServiceId,
        state: DeliveryState,
        at: DateTime<Utc>,
    ) -> Result<()> {
        set_delivery_state_tx(&self.tx, id, state, at)
    }

    /// As [`Store::record_return`].
    pub fn record_return(&mut self, id: ServiceId, at: DateTime<Utc>, file: &str) -> Result<()> {
        record_return_tx(&self.tx, id, at, file)
    }

    /// As [`Store::add_history`].
    pub fn add_history(&mut self, id: ServiceId, at: DateTime<Utc>, message: &str) -> Result<()> {
        add_history_tx(&self.tx, id, at, message)
    }

    /// As [`Store::service_by_deposit_id`], inside the transaction.
    pub fn service_by_deposit_id(&self, deposit_id: &str) -> Result<Option<Service>> {
        service_by_deposit_id_tx(&self.tx, deposit_id)
    }

    /// As [`Store::set_setting`], in the same transaction as the other changes (e.g. the event
    /// feed's cursor with the events it covers).
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Marks seen every unseen notification older than `before` (e.g. after an import of past
    /// services); returns how many.
    pub fn mark_seen_before(&mut self, before: DateTime<Utc>) -> Result<usize> {
        Ok(self.tx.execute(
            "UPDATE notifications SET seen = 1 WHERE seen = 0 AND at < ?1",
            [before.timestamp_millis()],
        )?)
    }
}
