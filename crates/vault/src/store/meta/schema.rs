//! The schema and its migrations, and how times are stored.

use chrono::{DateTime, Utc};

use crate::error::{storage, Result};
use crate::store::sql::{Dialect, Sql};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS offices (
    id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    holder TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS office_certs (
    fingerprint TEXT PRIMARY KEY, office_id TEXT NOT NULL REFERENCES offices(id),
    serial_hex TEXT NOT NULL, bound_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS recipients (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, name_key TEXT NOT NULL,
    siret TEXT, siren TEXT, nir TEXT, email TEXT, phone_fixed TEXT, phone_mobile TEXT);
CREATE INDEX IF NOT EXISTS recipients_name ON recipients(name_key);
CREATE INDEX IF NOT EXISTS recipients_siret ON recipients(siret);
CREATE INDEX IF NOT EXISTS recipients_siren ON recipients(siren);
CREATE INDEX IF NOT EXISTS recipients_nir ON recipients(nir);
CREATE TABLE IF NOT EXISTS consents (
    id TEXT PRIMARY KEY, recipient_id TEXT NOT NULL REFERENCES recipients(id),
    natures TEXT NOT NULL, given_on TEXT NOT NULL, expires_on TEXT, how TEXT NOT NULL,
    revoked_on TEXT);
CREATE TABLE IF NOT EXISTS reception_rules (
    recipient_id TEXT NOT NULL, nature TEXT NOT NULL, windows TEXT NOT NULL,
    PRIMARY KEY (recipient_id, nature));
CREATE TABLE IF NOT EXISTS deposits (
    id TEXT PRIMARY KEY, office_id TEXT NOT NULL, idem_key TEXT NOT NULL,
    content_sha256 TEXT NOT NULL, recipient_id TEXT NOT NULL, recipient_name TEXT NOT NULL,
    nature TEXT NOT NULL, reference TEXT NOT NULL, source TEXT NOT NULL, state TEXT NOT NULL,
    deposited_at TEXT NOT NULL, files TEXT NOT NULL, receipt TEXT NOT NULL,
    UNIQUE (office_id, idem_key));
CREATE INDEX IF NOT EXISTS deposits_office ON deposits(office_id, deposited_at);
CREATE TABLE IF NOT EXISTS recipient_files (
    recipient_id TEXT NOT NULL, deposit_id TEXT NOT NULL, name TEXT NOT NULL,
    sha256 TEXT NOT NULL, size BIGINT NOT NULL, PRIMARY KEY (deposit_id, name));
CREATE TABLE IF NOT EXISTS vault_entries (
    office_id TEXT NOT NULL, path TEXT NOT NULL, is_folder BIGINT NOT NULL, size BIGINT NOT NULL,
    sha256 TEXT, modified TEXT NOT NULL, retained_until TEXT, deposit_id TEXT,
    PRIMARY KEY (office_id, path));
CREATE TABLE IF NOT EXISTS journal (
    seq BIGINT PRIMARY KEY, office_id TEXT, deposit_id TEXT, event TEXT NOT NULL,
    at TEXT NOT NULL, message TEXT NOT NULL, record TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS journal_office ON journal(office_id, seq);
CREATE TABLE IF NOT EXISTS journal_checkpoints (
    last_seq BIGINT PRIMARY KEY, first_seq BIGINT NOT NULL UNIQUE, statement TEXT NOT NULL,
    seal TEXT NOT NULL, timestamp_token TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS declared_offices (
    number TEXT PRIMARY KEY, holder TEXT NOT NULL, ca_der TEXT NOT NULL,
    ca_subject TEXT NOT NULL, name TEXT, declared_at TEXT NOT NULL);
";

/// Brings the schema up to date: creates the tables that do not exist and adds the columns a
/// later version needs (every step is idempotent, so a vault of any earlier version, or a
/// second process starting beside a live server, runs them all safely).
pub fn migrate(sql: &mut dyn Sql) -> Result<()> {
    for step in STEPS {
        step(sql)?;
    }
    Ok(())
}

/// One migration step: idempotent, run in its own transaction by [`migrate_all`].
pub type Step = fn(&mut dyn Sql) -> Result<()>;

/// The steps, in order.
const STEPS: [Step; 8] = [
    migrate_base,
    migrate_recipient_side,
    migrate_enrolment,
    super::consents::migrate_instants,
    super::invitations::migrate_invitations,
    migrate_entry_description,
    super::places::migrate_places,
    super::notices::migrate_notices,
];

/// [`migrate`], each step in its own transaction: what the server and the operator's commands
/// run. On PostgreSQL `CREATE INDEX IF NOT EXISTS` locks its table even when the index exists;
/// one transaction over every step held locks on `journal` while waiting for `recipient_files`,
/// the order a live server's deposit takes the other way round — an operator command opening
/// the store beside it deadlocked (the crash test's `consent revoke` beside live deposits).
pub fn migrate_all(meta: &dyn crate::store::sql::Metadata) -> Result<()> {
    for step in STEPS {
        crate::store::sql::tx(meta, step)?;
    }
    Ok(())
}

fn migrate_base(sql: &mut dyn Sql) -> Result<()> {
    match sql.dialect() {
        Dialect::Postgres => {
            sql.exec(SCHEMA, &[])?;
        }
        Dialect::Sqlite => {
            for stmt in SCHEMA.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                sql.exec(stmt, &[])?;
            }
        }
    }
    Ok(())
}

/// Adds `column` (with its SQL `definition`, e.g. `TEXT` or `BIGINT NOT NULL DEFAULT 0`) to
/// `table` unless it is there already. The catalogue is read first, so that a vault already up
/// to date takes no lock on the table: an operator command opening the store beside a live
/// server must not make the server's transactions wait (PostgreSQL's `ALTER TABLE` takes its
/// exclusive lock even when the column exists).
pub(crate) fn add_column(
    sql: &mut dyn Sql,
    table: &str,
    column: &str,
    definition: &str,
) -> Result<()> {
    let present = match sql.dialect() {
        Dialect::Postgres => sql.query(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name = $1 AND column_name = $2",
            &[table.into(), column.into()],
        )?,
        Dialect::Sqlite => sql.query(
            "SELECT 1 FROM pragma_table_info($1) WHERE name = $2",
            &[table.into(), column.into()],
        )?,
    };
    if present.is_empty() {
        sql.exec(
            &format!("ALTER TABLE {table} ADD COLUMN {column} {definition}"),
            &[],
        )?;
    }
    Ok(())
}

/// Creates index `name` on `on` (`table(columns)`) unless it is there already; the catalogue
/// is read first, for the reason [`add_column`] gives (PostgreSQL's `CREATE INDEX IF NOT
/// EXISTS` locks its table even when the index exists).
pub(crate) fn create_index(sql: &mut dyn Sql, name: &str, on: &str) -> Result<()> {
    let present = match sql.dialect() {
        Dialect::Postgres => sql.query(
            "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1",
            &[name.into()],
        )?,
        Dialect::Sqlite => sql.query(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = $1",
            &[name.into()],
        )?,
    };
    if present.is_empty() {
        sql.exec(&format!("CREATE INDEX IF NOT EXISTS {name} ON {on}"), &[])?;
    }
    Ok(())
}

/// A time as stored: RFC 3339 UTC with microseconds, so that text order is time order.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Parses a stored time.
pub fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(storage)
}

// Migration step 2, applied after the base schema: the recipient side (consultations, delivery
// notices, notifications, portal, returns, bank certificates).
const SCHEMA_RECIPIENT: &str = "
CREATE INDEX IF NOT EXISTS deposits_state ON deposits(state, deposited_at);
CREATE INDEX IF NOT EXISTS recipient_files_recipient ON recipient_files(recipient_id, deposit_id);
CREATE INDEX IF NOT EXISTS deposits_recipient ON deposits(recipient_id, deposited_at);
CREATE INDEX IF NOT EXISTS deposits_time ON deposits(deposited_at);
CREATE TABLE IF NOT EXISTS consultations (
    deposit_id TEXT PRIMARY KEY, recipient_id TEXT NOT NULL, consulted_at TEXT NOT NULL,
    channel TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS delivery_notices (
    deposit_id TEXT PRIMARY KEY, state TEXT NOT NULL, decided_at TEXT NOT NULL,
    effective_at TEXT NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL,
    letter_date TEXT);
CREATE TABLE IF NOT EXISTS notifications (
    deposit_id TEXT NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL,
    attempts BIGINT NOT NULL, next_at TEXT NOT NULL, last_error TEXT,
    PRIMARY KEY (deposit_id, channel));
CREATE INDEX IF NOT EXISTS notifications_due ON notifications(status, next_at);
CREATE TABLE IF NOT EXISTS portal_links (
    token_hash TEXT PRIMARY KEY, recipient_id TEXT NOT NULL, created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS portal_codes (
    link_hash TEXT PRIMARY KEY, code_hash TEXT NOT NULL, expires_at TEXT NOT NULL,
    attempts BIGINT NOT NULL, used BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS portal_sessions (
    id_hash TEXT PRIMARY KEY, recipient_id TEXT NOT NULL, csrf TEXT NOT NULL,
    expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS act_returns (
    deposit_id TEXT PRIMARY KEY, recipient_id TEXT NOT NULL, deposited_at TEXT NOT NULL,
    name TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL, size BIGINT NOT NULL,
    answer_sha256 TEXT);
CREATE TABLE IF NOT EXISTS portal_audit (
    at TEXT NOT NULL, recipient_id TEXT, action TEXT NOT NULL, deposit_id TEXT, ok BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS portal_audit_recipient ON portal_audit(recipient_id, at);
CREATE INDEX IF NOT EXISTS portal_audit_at ON portal_audit(at);
CREATE TABLE IF NOT EXISTS bank_certs (
    fingerprint TEXT PRIMARY KEY, recipient_id TEXT NOT NULL, bound_at TEXT NOT NULL);
";

/// Migration step 2: the recipient side's tables (idempotent).
fn migrate_recipient_side(sql: &mut dyn Sql) -> Result<()> {
    for stmt in SCHEMA_RECIPIENT
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        sql.exec(stmt, &[])?;
    }
    Ok(())
}

/// Migration step 3: recipients created by an office (`POST /v1/recipients`) keep who they are
/// and who created them, when (operator-imported recipients keep these empty).
fn migrate_enrolment(sql: &mut dyn Sql) -> Result<()> {
    for column in [
        "civility",
        "first_names",
        "last_name",
        "birth_date",
        "address",
        "created_by",
        "created_at",
    ] {
        add_column(sql, "recipients", column, "TEXT")?;
    }
    sql.exec(
        "CREATE INDEX IF NOT EXISTS recipients_birth ON recipients(birth_date)",
        &[],
    )?;
    Ok(())
}

/// Migration step 6: the office's description of a file or folder of its vault (nullable: the
/// entries of earlier versions have none).
fn migrate_entry_description(sql: &mut dyn Sql) -> Result<()> {
    add_column(sql, "vault_entries", "description", "TEXT")
}
