//! Migrations in code: each version is a batch of SQL applied in one transaction and recorded in
//! `schema_migrations`, so opening a database of any earlier version upgrades it, and opening
//! an up-to-date one does nothing.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, Result};

/// The migrations, in order: index 0 is version 1.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8, V9];

/// The schema version this program writes.
pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

/// v1: services with their documents and history; settings.
const V1: &str = r#"
CREATE TABLE services (
    id               INTEGER PRIMARY KEY,
    reference        TEXT NOT NULL,
    reference_norm   TEXT NOT NULL,
    recipient_id     TEXT NOT NULL,
    recipient_name   TEXT NOT NULL,
    recipient_norm   TEXT NOT NULL,
    nature           TEXT NOT NULL,
    source           TEXT NOT NULL CHECK (source IN ('form', 'edi')),
    -- NULL until the vault has accepted the deposit.
    state            TEXT CHECK (state IN ('awaiting_consultation', 'in_person', 'at_home')),
    created_at       INTEGER NOT NULL,
    served_at        INTEGER,
    updated_at       INTEGER NOT NULL,
    vault_deposit_id TEXT UNIQUE
);
CREATE INDEX services_by_date       ON services (served_at, id);
CREATE INDEX services_by_state      ON services (state, served_at, id);
CREATE INDEX services_by_reference  ON services (reference_norm, served_at);
CREATE INDEX services_by_recipient  ON services (recipient_norm, served_at);
CREATE INDEX services_by_recipient_id ON services (recipient_id, served_at, id);
CREATE INDEX services_by_nature     ON services (nature, served_at, id);
CREATE INDEX services_by_source     ON services (source, served_at, id);

CREATE TABLE documents (
    id          INTEGER PRIMARY KEY,
    service_id  INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    name_norm   TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      BLOB NOT NULL CHECK (length(sha256) = 32),
    local_path  TEXT NOT NULL
);
CREATE INDEX documents_by_service ON documents (service_id);
CREATE INDEX documents_by_name    ON documents (name_norm);

CREATE TABLE history (
    id          INTEGER PRIMARY KEY,
    service_id  INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    message     TEXT NOT NULL
);
CREATE INDEX history_by_service ON history (service_id, at, id);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#;

/// v2: the dashboard's notifications, with unseen counts kept by triggers in the same
/// transaction as every write (a count over a million rows takes ~25 ms with SQLCipher).
const V2: &str = r#"
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    service_id  INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    category    TEXT NOT NULL CHECK (category IN
                    ('awaiting_consultation', 'delivered_in_person', 'delivered_at_home',
                     'return_awaiting_consultation')),
    at          INTEGER NOT NULL,
    event       TEXT NOT NULL,
    event_norm  TEXT NOT NULL,
    file        TEXT,
    file_norm   TEXT,
    seen        INTEGER NOT NULL DEFAULT 0 CHECK (seen IN (0, 1))
);
CREATE INDEX notifications_unseen ON notifications (category, at, id) WHERE seen = 0;
CREATE INDEX notifications_by_service ON notifications (service_id);

CREATE TABLE notification_counts (
    category TEXT PRIMARY KEY,
    unseen   INTEGER NOT NULL CHECK (unseen >= 0)
);
INSERT INTO notification_counts (category, unseen) VALUES
    ('awaiting_consultation', 0), ('delivered_in_person', 0), ('delivered_at_home', 0),
    ('return_awaiting_consultation', 0);

CREATE TRIGGER notifications_ins AFTER INSERT ON notifications WHEN NEW.seen = 0 BEGIN
    UPDATE notification_counts SET unseen = unseen + 1 WHERE category = NEW.category;
END;
CREATE TRIGGER notifications_del AFTER DELETE ON notifications WHEN OLD.seen = 0 BEGIN
    UPDATE notification_counts SET unseen = unseen - 1 WHERE category = OLD.category;
END;
CREATE TRIGGER notifications_upd AFTER UPDATE OF seen, category ON notifications BEGIN
    UPDATE notification_counts SET unseen = unseen - 1
        WHERE OLD.seen = 0 AND category = OLD.category;
    UPDATE notification_counts SET unseen = unseen + 1
        WHERE NEW.seen = 0 AND category = NEW.category;
END;
"#;

/// v3: the outbox, the recipients and consents cache, the session log.
const V3: &str = r#"
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    idempotency_key  TEXT NOT NULL UNIQUE,
    service_id       INTEGER NOT NULL UNIQUE REFERENCES services (id),
    package_path     TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('prepared', 'uploading', 'deposited', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    deposit_id       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK ((state = 'deposited') = (deposit_id IS NOT NULL))
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at, id);

CREATE TABLE recipients (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    name_norm   TEXT NOT NULL,
    siret       TEXT,
    nir         TEXT,
    email       TEXT,
    phones      TEXT NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL
);
CREATE INDEX recipients_by_name  ON recipients (name_norm);
CREATE INDEX recipients_by_siret ON recipients (siret);
CREATE INDEX recipients_by_nir   ON recipients (nir);

CREATE TABLE consents (
    recipient_id TEXT NOT NULL REFERENCES recipients (id) ON DELETE CASCADE,
    nature       TEXT NOT NULL,
    granted_at   INTEGER NOT NULL,
    valid_until  INTEGER,
    register_ref TEXT NOT NULL,
    PRIMARY KEY (recipient_id, nature)
);

CREATE TABLE session_log (
    id       INTEGER PRIMARY KEY,
    session  TEXT NOT NULL,
    at       INTEGER NOT NULL,
    action   TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX session_log_by_session ON session_log (session, id);
"#;

/// v4: the dashboard's filters on reference and recipient read the notification itself through
/// small partial indexes over the *unseen* notifications (a join to a recipient's services
/// spread over years cost ~70 ms at a million services). Only unseen notifications are ever
/// listed, so only those are back-filled; new ones always carry both columns.
const V4: &str = r#"
ALTER TABLE notifications ADD COLUMN reference_norm TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN recipient_norm TEXT NOT NULL DEFAULT '';
UPDATE notifications SET
    reference_norm = (SELECT reference_norm FROM services s WHERE s.id = notifications.service_id),
    recipient_norm = (SELECT recipient_norm FROM services s WHERE s.id = notifications.service_id)
WHERE seen = 0;
CREATE INDEX notifications_unseen_by_reference
    ON notifications (category, reference_norm, at) WHERE seen = 0;
CREATE INDEX notifications_unseen_by_recipient
    ON notifications (category, recipient_norm, at) WHERE seen = 0;
CREATE INDEX notifications_unseen_by_file
    ON notifications (category, file_norm, at) WHERE seen = 0;
"#;

/// v5: the requesting party (printed on the plain letter, CPC 662-1) and, for a service imported
/// from an EDI batch, the batch's identifier (a rerun of the same batch skips what it already
/// prepared instead of refusing its references as duplicates).
const V5: &str = r#"
ALTER TABLE services ADD COLUMN requerant TEXT;
ALTER TABLE services ADD COLUMN edi_batch TEXT;
"#;

/// v6: the consents cache holds `sceau_core::consent::Consent` as the vault's register gives it
/// (register id, natures covered, given / expires / revoked instants), and each recipient says
/// when its consents were last fetched (never: the workstation knows nothing of them). The v3
/// rows (one per nature, no revocation) are not convertible: the cache is refilled online.
const V6: &str = r#"
DROP TABLE consents;
CREATE TABLE consents (
    recipient_id TEXT NOT NULL REFERENCES recipients (id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    natures      TEXT NOT NULL,
    given_at     INTEGER NOT NULL,
    expires      INTEGER,
    revoked_at   INTEGER,
    PRIMARY KEY (recipient_id, id)
);
ALTER TABLE recipients ADD COLUMN consents_fetched_at INTEGER;
"#;

/// v7: the recipients cache keeps the vault's card whole: SIREN, fixed and mobile phones apart
/// (v3's `phones` merged the two, and the window guessed which was which). The old column stays
/// unread; a card cached before v7 shows its phones again once a lookup refreshes it.
const V7: &str = r#"
ALTER TABLE recipients ADD COLUMN siren TEXT;
ALTER TABLE recipients ADD COLUMN phone_fixed TEXT;
ALTER TABLE recipients ADD COLUMN phone_mobile TEXT;
"#;

/// v8: a cached consent keeps how it was given (the recipient on the portal, a convention...)
/// and whom it concerns, as the register's entry does.
const V8: &str = r#"
ALTER TABLE consents ADD COLUMN how TEXT NOT NULL DEFAULT '';
"#;

/// v9: a cached recipient keeps its place (département or collectivité code) as the vault gives
/// it, so that a service prepared offline is checked in the recipient's calendar and time zone.
const V9: &str = r#"
ALTER TABLE recipients ADD COLUMN region TEXT;
"#;

/// The version recorded in the database (0 for a new file).
pub(crate) fn current_version(conn: &Connection) -> Result<i64> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at INTEGER NOT NULL
         );",
    )?;
    Ok(conn
        .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()?
        .flatten()
        .unwrap_or(0))
}

/// Applies every migration after the current version up to `target`, each in its own
/// transaction (a crash leaves the database at a whole version).
pub(crate) fn migrate_to(conn: &mut Connection, target: i64) -> Result<i64> {
    let found = current_version(conn)?;
    if found > LATEST_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: LATEST_VERSION,
        });
    }
    let mut applied = false;
    for version in (found + 1)..=target.min(LATEST_VERSION) {
        let tx = conn.transaction()?;
        // The range starts at 1, so `version - 1` indexes MIGRATIONS.
        let sql = MIGRATIONS[(version - 1) as usize];
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            params![version, crate::now_ms()],
        )?;
        tx.commit()?;
        tracing::info!(version, "local store migrated");
        applied = true;
    }
    if applied {
        // New indexes have no statistics yet; without them the planner may pick one that
        // needs a sort over thousands of rows.
        conn.execute_batch("PRAGMA optimize = 0x10002;")?;
    }
    current_version(conn)
}
