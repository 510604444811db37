//! The metadata store: a small trait over SQL with two real implementations, SQLite (default,
//! embedded) and PostgreSQL. The vault's queries are written once (in `meta`) in the common
//! subset of both dialects, with `$1, $2, ...` placeholders used in order.

use std::path::Path;
use std::sync::Mutex;

use crate::error::{storage, Result};

/// A value bound to or read from a query. Integers are 64-bit, text is UTF-8, blobs are bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// SQL NULL.
    Null,
    /// BIGINT / INTEGER.
    Int(i64),
    /// TEXT.
    Text(String),
}

impl Val {
    /// The integer, or 0 for anything else (columns are typed by the schema).
    pub fn int(&self) -> i64 {
        match self {
            Val::Int(i) => *i,
            _ => 0,
        }
    }

    /// The integer, if not NULL.
    pub fn opt_int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The text, or "" for anything else.
    pub fn text(&self) -> &str {
        match self {
            Val::Text(s) => s,
            _ => "",
        }
    }

    /// The text, if not NULL.
    pub fn opt_text(&self) -> Option<String> {
        match self {
            Val::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Self {
        Val::Text(s.to_owned())
    }
}
impl From<String> for Val {
    fn from(s: String) -> Self {
        Val::Text(s)
    }
}
impl From<&String> for Val {
    fn from(s: &String) -> Self {
        Val::Text(s.clone())
    }
}
impl From<i64> for Val {
    fn from(i: i64) -> Self {
        Val::Int(i)
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(o: Option<T>) -> Self {
        o.map(Into::into).unwrap_or(Val::Null)
    }
}

/// One open transaction (or connection) on which statements run.
pub trait Sql {
    /// Runs a statement; returns the number of rows changed.
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64>;
    /// Runs a query; returns its rows.
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>>;
    /// Which dialect this connection speaks.
    fn dialect(&self) -> Dialect;
}

/// Which SQL dialect a connection speaks (for the few DDL differences).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The metadata store: runs a closure in one transaction, committed when it returns `Ok`.
pub trait Metadata: Send + Sync {
    /// Runs `f` in a transaction; commits on `Ok`, rolls back on `Err`.
    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Sql) -> Result<()>) -> Result<()>;
    /// Runs `f` in a transaction that only reads, on a connection of its own where the
    /// backend allows it, so that reads do not queue behind a commit. By default, a transaction.
    fn read(&self, f: &mut dyn FnMut(&mut dyn Sql) -> Result<()>) -> Result<()> {
        self.transaction(f)
    }
    /// Which backend this is.
    fn dialect(&self) -> Dialect;
}

/// Runs `f` in a read-only transaction of `meta` and returns its value.
pub fn read_tx<T>(meta: &dyn Metadata, mut f: impl FnMut(&mut dyn Sql) -> Result<T>) -> Result<T> {
    let mut out = None;
    meta.read(&mut |sql| {
        out = Some(f(sql)?);
        Ok(())
    })?;
    out.ok_or_else(|| storage("transaction returned nothing"))
}

/// Runs `f` in a transaction of `meta` and returns its value.
pub fn tx<T>(meta: &dyn Metadata, mut f: impl FnMut(&mut dyn Sql) -> Result<T>) -> Result<T> {
    let mut out = None;
    meta.transaction(&mut |sql| {
        out = Some(f(sql)?);
        Ok(())
    })?;
    out.ok_or_else(|| storage("transaction returned nothing"))
}

/// SQLite in a file: one connection that writes (SQLite serialises writers anyway) and one that
/// only reads (WAL lets it read the last commit while the writer works).
pub struct SqliteMeta {
    conn: Mutex<rusqlite::Connection>,
    /// Opened on the first read: a process that only writes (tools, the journal benchmark)
    /// keeps one connection.
    reader: Mutex<Option<rusqlite::Connection>>,
    path: std::path::PathBuf,
}

impl SqliteMeta {
    /// Opens (creating) the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = rusqlite::Connection::open(path).map_err(storage)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        )
        .map_err(storage)?;
        Ok(SqliteMeta {
            conn: Mutex::new(conn),
            reader: Mutex::new(None),
            path: path.to_owned(),
        })
    }
}

struct SqliteTx<'a>(&'a rusqlite::Transaction<'a>);

fn to_sqlite(params: &[Val]) -> Vec<rusqlite::types::Value> {
    params
        .iter()
        .map(|v| match v {
            Val::Null => rusqlite::types::Value::Null,
            Val::Int(i) => rusqlite::types::Value::Integer(*i),
            Val::Text(s) => rusqlite::types::Value::Text(s.clone()),
        })
        .collect()
}

impl Sql for SqliteTx<'_> {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        let mut stmt = self.0.prepare_cached(sql).map_err(storage)?;
        let n = stmt
            .execute(rusqlite::params_from_iter(to_sqlite(params)))
            .map_err(storage)?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>> {
        let mut stmt = self.0.prepare_cached(sql).map_err(storage)?;
        let ncol = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(to_sqlite(params)))
            .map_err(storage)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(storage)? {
            let mut vals = Vec::with_capacity(ncol);
            for i in 0..ncol {
                use rusqlite::types::ValueRef;
                vals.push(match row.get_ref(i).map_err(storage)? {
                    ValueRef::Null => Val::Null,
                    ValueRef::Integer(i) => Val::Int(i),
                    ValueRef::Real(f) => Val::Int(f as i64),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        Val::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(vals);
        }
        Ok(out)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
}

impl Metadata for SqliteMeta {
    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Sql) -> Result<()>) -> Result<()> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| storage("sqlite lock poisoned"))?;
        let txn = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(storage)?;
        f(&mut SqliteTx(&txn))?;
        txn.commit().map_err(storage)
    }

    fn read(&self, f: &mut dyn FnMut(&mut dyn Sql) -> Result<()>) -> Result<()> {
        let mut reader = self
            .reader
            .lock()
            .map_err(|_| storage("sqlite lock poisoned"))?;
        if reader.is_none() {
            let c = rusqlite::Connection::open(&self.path).map_err(storage)?;
            c.execute_batch("PRAGMA query_only=ON; PRAGMA foreign_keys=ON;")
                .map_err(storage)?;
            *reader = Some(c);
        }
        let conn = reader
            .as_mut()
            .ok_or_else(|| storage("sqlite reader missing"))?;
        // A deferred transaction: one consistent snapshot, no write lock.
        let txn = conn.transaction().map_err(storage)?;
        f(&mut SqliteTx(&txn))?;
        txn.commit().map_err(storage)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
}

/// PostgreSQL through the blocking client, a small pool of connections.
pub struct PgMeta {
    pool: Mutex<PgPool>,
    freed: std::sync::Condvar,
    url: String,
    max: usize,
}

/// Idle connections and how many are open (idle or lent).
struct PgPool {
    idle: Vec<postgres::Client>,
    open: usize,
}

/// Connections a vault keeps to PostgreSQL when the configuration says nothing
/// (`pg_max_connections`).
pub const PG_DEFAULT_MAX_CONNECTIONS: usize = 8;

/// How long a transaction waits for a free connection before answering `busy`.
const PG_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

impl PgMeta {
    /// Connects to `url` (a libpq-style connection string, no TLS: loopback or a private link)
    /// with at most [`PG_DEFAULT_MAX_CONNECTIONS`] connections.
    pub fn connect(url: &str) -> Result<Self> {
        Self::connect_bounded(url, PG_DEFAULT_MAX_CONNECTIONS)
    }

    /// Connects to `url` with at most `max` connections open at once (at least one): a
    /// transaction beyond them waits for a free one (then `busy` after 30 s), never opens more.
    pub fn connect_bounded(url: &str, max: usize) -> Result<Self> {
        let client = postgres::Client::connect(url, postgres::NoTls).map_err(storage)?;
        Ok(PgMeta {
            pool: Mutex::new(PgPool {
                idle: vec![client],
                open: 1,
            }),
            freed: std::sync::Condvar::new(),
            url: url.to_owned(),
            max: max.max(1),
        })
    }

    /// Connections open now (idle or lent).
    pub fn open_connections(&self) -> usize {
        self.pool.lock().map_or(0, |p| p.open)
    }

    fn take(&self) -> Result<postgres::Client> {
        let poisoned = || storage("pool lock poisoned");
        let mut pool = self.pool.lock().map_err(|_| poisoned())?;
        let deadline = std::time::Instant::now() + PG_WAIT;
        loop {
            if let Some(c) = pool.idle.pop() {
                if !c.is_closed() {
                    return Ok(c);
                }
                pool.open -= 1;
                continue;
            }
            if pool.open < self.max {
                pool.open += 1;
                drop(pool);
                return match postgres::Client::connect(&self.url, postgres::NoTls) {
                    Ok(c) => Ok(c),
                    Err(e) => {
                        if let Ok(mut p) = self.pool.lock() {
                            p.open -= 1;
                        }
                        self.freed.notify_one();
                        Err(storage(e))
                    }
                };
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(crate::error::Error::Busy);
            }
            pool = self
                .freed
                .wait_timeout(pool, left)
                .map_err(|_| poisoned())?
                .0;
        }
    }

    fn give_back(&self, client: postgres::Client) {
        if let Ok(mut pool) = self.pool.lock() {
            if client.is_closed() {
                pool.open -= 1;
            } else {
                pool.idle.push(client);
            }
        }
        self.freed.notify_one();
    }
}

impl Drop for PgMeta {
    fn drop(&mut self) {
        // The blocking client shuts its connection down with its own runtime, which panics on a
        // thread that drives async tasks: close the pool on a plain thread.
        if let Ok(mut pool) = self.pool.lock() {
            let clients = std::mem::take(&mut pool.idle);
            let _ = std::thread::spawn(move || drop(clients)).join();
        }
    }
}

struct PgTx<'a, 'b>(&'a mut postgres::Transaction<'b>);

/// SQL NULL for a parameter of any type (an `Option::<String>::None` would be refused for a
/// BIGINT column: the driver checks the Rust type against the column's).
#[derive(Debug)]
struct PgNull;

impl postgres::types::ToSql for PgNull {
    fn to_sql(
        &self,
        _: &postgres::types::Type,
        _: &mut bytes::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        Ok(postgres::types::IsNull::Yes)
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn pg_params(params: &[Val]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
    params
        .iter()
        .map(|v| -> Box<dyn postgres::types::ToSql + Sync> {
            match v {
                Val::Null => Box::new(PgNull),
                Val::Int(i) => Box::new(*i),
                Val::Text(s) => Box::new(s.clone()),
            }
        })
        .collect()
}

impl Sql for PgTx<'_, '_> {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        let boxed = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            boxed.iter().map(|b| b.as_ref()).collect();
        if params.is_empty() {
            // DDL batches (several statements) go through the simple protocol.
            self.0.batch_execute(sql).map_err(storage)?;
            return Ok(0);
        }
        self.0.execute(sql, &refs).map_err(storage)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>> {
        let boxed = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            boxed.iter().map(|b| b.as_ref()).collect();
        let rows = self.0.query(sql, &refs).map_err(storage)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut vals = Vec::with_capacity(row.len());
            for (i, col) in row.columns().iter().enumerate() {
                use postgres::types::Type;
                let t = col.type_();
                let v = if *t == Type::INT8 {
                    row.try_get::<_, Option<i64>>(i)
                        .map_err(storage)?
                        .map_or(Val::Null, Val::Int)
                } else if *t == Type::INT4 {
                    row.try_get::<_, Option<i32>>(i)
                        .map_err(storage)?
                        .map_or(Val::Null, |x| Val::Int(i64::from(x)))
                } else {
                    row.try_get::<_, Option<String>>(i)
                        .map_err(storage)?
                        .map_or(Val::Null, Val::Text)
                };
                vals.push(v);
            }
            out.push(vals);
        }
        Ok(out)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
}

impl Metadata for PgMeta {
    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Sql) -> Result<()>) -> Result<()> {
        let mut client = self.take()?;
        let result = (|| {
            let mut txn = client.transaction().map_err(storage)?;
            f(&mut PgTx(&mut txn))?;
            txn.commit().map_err(storage)
        })();
        self.give_back(client);
        result
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
}
