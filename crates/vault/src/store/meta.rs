//! The vault's metadata: schema and every query, written once for both backends.

use chrono::{DateTime, NaiveDate, Utc};
use sceau_proto::{Consent, Office, Recipient, RecipientKind, VaultEntry};

use super::sql::{Dialect, Sql, Val};
use crate::error::{storage, Error, Result};

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

/// Creates the tables if they do not exist.
pub fn migrate(sql: &mut dyn Sql) -> Result<()> {
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

// ---------------------------------------------------------------------------------------------
// Offices

/// An office as stored, with its holder.
#[derive(Debug, Clone)]
pub struct OfficeRow {
    /// The office.
    pub office: Office,
    /// Holder identity the office's certificates must carry.
    pub holder: String,
}

fn office_row(r: &[Val]) -> OfficeRow {
    OfficeRow {
        office: Office {
            id: r[0].text().into(),
            number: r[1].text().into(),
            name: r[2].text().into(),
        },
        holder: r[3].text().into(),
    }
}

/// The office bound to the certificate with this fingerprint.
pub fn office_by_cert(sql: &mut dyn Sql, fingerprint: &str) -> Result<Option<OfficeRow>> {
    let rows = sql.query(
        "SELECT o.id, o.number, o.name, o.holder FROM offices o \
         JOIN office_certs c ON c.office_id = o.id WHERE c.fingerprint = $1",
        &[fingerprint.into()],
    )?;
    Ok(rows.first().map(|r| office_row(r)))
}

/// The office with this number.
pub fn office_by_number(sql: &mut dyn Sql, number: &str) -> Result<Option<OfficeRow>> {
    let rows = sql.query(
        "SELECT id, number, name, holder FROM offices WHERE number = $1",
        &[number.into()],
    )?;
    Ok(rows.first().map(|r| office_row(r)))
}

/// Creates an office.
pub fn insert_office(sql: &mut dyn Sql, row: &OfficeRow, now: DateTime<Utc>) -> Result<()> {
    sql.exec(
        "INSERT INTO offices (id, number, name, holder, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[
            (&row.office.id).into(),
            (&row.office.number).into(),
            (&row.office.name).into(),
            (&row.holder).into(),
            ts(now).into(),
        ],
    )?;
    Ok(())
}

/// An office declared by the vault's operator: who may bind it, under which CA.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeclaredOffice {
    /// Office number.
    pub number: String,
    /// The holder: a whole subject (RFC 4514 text, contains `=`) or a common name.
    pub holder: String,
    /// DER of the CA certificate that must issue the office's certificates (hex).
    #[serde(skip)]
    pub ca_der_hex: String,
    /// Subject of that CA (for listings).
    pub ca_subject: String,
    /// Name of the office (else the name typed at first connection).
    pub name: Option<String>,
}

/// Declares (or re-declares) an office.
pub fn declare_office(sql: &mut dyn Sql, d: &DeclaredOffice, now: DateTime<Utc>) -> Result<()> {
    sql.exec(
        "DELETE FROM declared_offices WHERE number = $1",
        &[(&d.number).into()],
    )?;
    sql.exec(
        "INSERT INTO declared_offices (number, holder, ca_der, ca_subject, name, declared_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            (&d.number).into(),
            (&d.holder).into(),
            (&d.ca_der_hex).into(),
            (&d.ca_subject).into(),
            d.name.clone().into(),
            ts(now).into(),
        ],
    )?;
    Ok(())
}

fn declared_row(r: &[Val]) -> DeclaredOffice {
    DeclaredOffice {
        number: r[0].text().into(),
        holder: r[1].text().into(),
        ca_der_hex: r[2].text().into(),
        ca_subject: r[3].text().into(),
        name: r[4].opt_text(),
    }
}

/// The declaration of office `number`.
pub fn declared_office(sql: &mut dyn Sql, number: &str) -> Result<Option<DeclaredOffice>> {
    let rows = sql.query(
        "SELECT number, holder, ca_der, ca_subject, name FROM declared_offices WHERE number = $1",
        &[number.into()],
    )?;
    Ok(rows.first().map(|r| declared_row(r)))
}

/// Every declared office, by number.
pub fn declared_offices(sql: &mut dyn Sql) -> Result<Vec<DeclaredOffice>> {
    let rows = sql.query(
        "SELECT number, holder, ca_der, ca_subject, name FROM declared_offices ORDER BY number",
        &[],
    )?;
    Ok(rows.iter().map(|r| declared_row(r)).collect())
}

/// Binds a certificate to an office.
pub fn bind_cert(
    sql: &mut dyn Sql,
    fingerprint: &str,
    office_id: &str,
    serial_hex: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sql.exec(
        "INSERT INTO office_certs (fingerprint, office_id, serial_hex, bound_at) \
         VALUES ($1, $2, $3, $4)",
        &[
            fingerprint.into(),
            office_id.into(),
            serial_hex.into(),
            ts(now).into(),
        ],
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Recipients

/// A recipient as stored (the NIR in full: it never leaves the vault unmasked).
#[derive(Debug, Clone)]
pub struct RecipientRow {
    /// Identifier.
    pub id: String,
    /// Kind.
    pub kind: RecipientKind,
    /// Name.
    pub name: String,
    /// SIRET.
    pub siret: Option<String>,
    /// SIREN.
    pub siren: Option<String>,
    /// NIR.
    pub nir: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Landline.
    pub phone_fixed: Option<String>,
    /// Mobile.
    pub phone_mobile: Option<String>,
}

impl RecipientRow {
    /// The card sent to offices.
    pub fn card(&self) -> Recipient {
        Recipient {
            id: self.id.clone(),
            kind: self.kind,
            name: self.name.clone(),
            siret: self.siret.clone(),
            siren: self.siren.clone(),
            nir_masked: self.nir.as_deref().map(mask_nir),
            email: self.email.clone(),
            phone_fixed: self.phone_fixed.clone(),
            phone_mobile: self.phone_mobile.clone(),
        }
    }
}

/// Shows the sex and birth year of a NIR, hides the rest.
pub fn mask_nir(nir: &str) -> String {
    let shown: String = nir.chars().take(3).collect();
    format!(
        "{shown}{}",
        "*".repeat(nir.chars().count().saturating_sub(3))
    )
}

fn kind_str(k: RecipientKind) -> &'static str {
    match k {
        RecipientKind::Bank => "bank",
        RecipientKind::Company => "company",
        RecipientKind::Administration => "administration",
        RecipientKind::Person => "person",
    }
}

fn kind_of(s: &str) -> RecipientKind {
    match s {
        "bank" => RecipientKind::Bank,
        "administration" => RecipientKind::Administration,
        "person" => RecipientKind::Person,
        _ => RecipientKind::Company,
    }
}

/// Name folded for search: accents removed, lower case, spaces collapsed.
pub fn name_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = name
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

const RECIPIENT_COLS: &str = "id, kind, name, siret, siren, nir, email, phone_fixed, phone_mobile";

fn recipient_row(r: &[Val]) -> RecipientRow {
    RecipientRow {
        id: r[0].text().into(),
        kind: kind_of(r[1].text()),
        name: r[2].text().into(),
        siret: r[3].opt_text(),
        siren: r[4].opt_text(),
        nir: r[5].opt_text(),
        email: r[6].opt_text(),
        phone_fixed: r[7].opt_text(),
        phone_mobile: r[8].opt_text(),
    }
}

/// Inserts or replaces a recipient.
pub fn upsert_recipient(sql: &mut dyn Sql, r: &RecipientRow) -> Result<()> {
    sql.exec("DELETE FROM recipients WHERE id = $1", &[(&r.id).into()])?;
    sql.exec(
        "INSERT INTO recipients (id, kind, name, name_key, siret, siren, nir, email, \
         phone_fixed, phone_mobile) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            (&r.id).into(),
            kind_str(r.kind).into(),
            (&r.name).into(),
            name_key(&r.name).into(),
            r.siret.clone().into(),
            r.siren.clone().into(),
            r.nir.clone().into(),
            r.email.clone().into(),
            r.phone_fixed.clone().into(),
            r.phone_mobile.clone().into(),
        ],
    )?;
    Ok(())
}

/// A recipient by id.
pub fn recipient(sql: &mut dyn Sql, id: &str) -> Result<Option<RecipientRow>> {
    let rows = sql.query(
        &format!("SELECT {RECIPIENT_COLS} FROM recipients WHERE id = $1"),
        &[id.into()],
    )?;
    Ok(rows.first().map(|r| recipient_row(r)))
}

/// How to search the directory.
#[derive(Debug, Clone)]
pub enum RecipientQuery {
    /// Exact SIRET.
    Siret(String),
    /// Exact SIREN (also matches establishments of that company).
    Siren(String),
    /// Exact NIR.
    Nir(String),
    /// Name prefix (folded).
    Name(String),
}

/// Searches the directory (at most `limit` results, by name).
pub fn search_recipients(
    sql: &mut dyn Sql,
    q: &RecipientQuery,
    limit: i64,
) -> Result<Vec<RecipientRow>> {
    let (cond, val) = match q {
        RecipientQuery::Siret(s) => ("siret = $1", s.clone()),
        RecipientQuery::Siren(s) => ("siren = $1", s.clone()),
        RecipientQuery::Nir(s) => ("nir = $1", s.clone()),
        RecipientQuery::Name(n) => {
            // Escape LIKE wildcards typed by the user.
            let k = name_key(n)
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            ("name_key LIKE $1 ESCAPE '\\'", format!("{k}%"))
        }
    };
    let rows = sql.query(
        &format!(
            "SELECT {RECIPIENT_COLS} FROM recipients WHERE {cond} ORDER BY name_key, id LIMIT $2"
        ),
        &[val.into(), limit.into()],
    )?;
    Ok(rows.iter().map(|r| recipient_row(r)).collect())
}

// ---------------------------------------------------------------------------------------------
// Consents and reception rules

fn consent_row(r: &[Val]) -> Result<Consent> {
    let date = |v: &Val| -> Result<Option<NaiveDate>> {
        v.opt_text()
            .map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(storage))
            .transpose()
    };
    Ok(Consent {
        id: r[0].text().into(),
        recipient_id: r[1].text().into(),
        natures: serde_json::from_str(r[2].text()).map_err(storage)?,
        given_on: date(&r[3])?.ok_or_else(|| storage("given_on"))?,
        expires_on: date(&r[4])?,
        how: r[5].text().into(),
        revoked_on: date(&r[6])?,
    })
}

/// Records a consent.
pub fn insert_consent(sql: &mut dyn Sql, c: &Consent) -> Result<()> {
    sql.exec(
        "INSERT INTO consents (id, recipient_id, natures, given_on, expires_on, how, revoked_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            (&c.id).into(),
            (&c.recipient_id).into(),
            serde_json::to_string(&c.natures).map_err(storage)?.into(),
            c.given_on.to_string().into(),
            c.expires_on.map(|d| d.to_string()).into(),
            (&c.how).into(),
            c.revoked_on.map(|d| d.to_string()).into(),
        ],
    )?;
    Ok(())
}

/// Revokes a consent as of `on`; `NotFound` if there is none or it is already revoked.
pub fn revoke_consent(sql: &mut dyn Sql, id: &str, on: NaiveDate) -> Result<()> {
    let n = sql.exec(
        "UPDATE consents SET revoked_on = $1 WHERE id = $2 AND revoked_on IS NULL",
        &[on.to_string().into(), id.into()],
    )?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Consents, for one recipient or all.
pub fn list_consents(sql: &mut dyn Sql, recipient_id: Option<&str>) -> Result<Vec<Consent>> {
    let cols = "id, recipient_id, natures, given_on, expires_on, how, revoked_on";
    let rows = match recipient_id {
        Some(r) => sql.query(
            &format!("SELECT {cols} FROM consents WHERE recipient_id = $1 ORDER BY given_on, id"),
            &[r.into()],
        )?,
        None => sql.query(
            &format!("SELECT {cols} FROM consents ORDER BY recipient_id, given_on, id"),
            &[],
        )?,
    };
    rows.iter().map(|r| consent_row(r)).collect()
}

/// The consent in force for this recipient and nature on `day`, if any.
pub fn consent_in_force(
    sql: &mut dyn Sql,
    recipient_id: &str,
    nature: &str,
    day: NaiveDate,
) -> Result<Option<Consent>> {
    Ok(list_consents(sql, Some(recipient_id))?
        .into_iter()
        .find(|c| {
            c.given_on <= day
                && c.expires_on.is_none_or(|e| day <= e)
                && c.revoked_on.is_none_or(|r| day < r)
                && (c.natures.is_empty() || c.natures.iter().any(|n| n == nature))
        }))
}

/// Sets a recipient's reception windows for a nature (JSON list of windows).
pub fn set_rule(sql: &mut dyn Sql, recipient_id: &str, nature: &str, windows: &str) -> Result<()> {
    sql.exec(
        "DELETE FROM reception_rules WHERE recipient_id = $1 AND nature = $2",
        &[recipient_id.into(), nature.into()],
    )?;
    sql.exec(
        "INSERT INTO reception_rules (recipient_id, nature, windows) VALUES ($1, $2, $3)",
        &[recipient_id.into(), nature.into(), windows.into()],
    )?;
    Ok(())
}

/// A recipient's reception windows for a nature (JSON), if it has any.
pub fn rule(sql: &mut dyn Sql, recipient_id: &str, nature: &str) -> Result<Option<String>> {
    let rows = sql.query(
        "SELECT windows FROM reception_rules WHERE recipient_id = $1 AND nature = $2",
        &[recipient_id.into(), nature.into()],
    )?;
    Ok(rows.first().map(|r| r[0].text().to_owned()))
}

// ---------------------------------------------------------------------------------------------
// Deposits

/// A deposit as stored.
#[derive(Debug, Clone)]
pub struct DepositRow {
    /// Identifier.
    pub id: String,
    /// Office.
    pub office_id: String,
    /// Idempotency key.
    pub idem_key: String,
    /// SHA-256 of the uploaded package.
    pub content_sha256: String,
    /// Recipient.
    pub recipient_id: String,
    /// Recipient name at the time.
    pub recipient_name: String,
    /// Nature code.
    pub nature: String,
    /// Office reference.
    pub reference: String,
    /// `form` or `edi`.
    pub source: String,
    /// Delivery state (snake_case of `DeliveryState`).
    pub state: String,
    /// Time of service.
    pub deposited_at: DateTime<Utc>,
    /// Deposited file names (JSON array).
    pub files: Vec<String>,
    /// The receipt sent back (JSON of `DepositReceipt`).
    pub receipt: String,
}

const DEPOSIT_COLS: &str = "id, office_id, idem_key, content_sha256, recipient_id, \
    recipient_name, nature, reference, source, state, deposited_at, files, receipt";

/// [`DEPOSIT_COLS`] qualified by a table alias, for joins.
fn deposit_cols_of(alias: &str) -> String {
    DEPOSIT_COLS
        .split(", ")
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn deposit_row(r: &[Val]) -> Result<DepositRow> {
    Ok(DepositRow {
        id: r[0].text().into(),
        office_id: r[1].text().into(),
        idem_key: r[2].text().into(),
        content_sha256: r[3].text().into(),
        recipient_id: r[4].text().into(),
        recipient_name: r[5].text().into(),
        nature: r[6].text().into(),
        reference: r[7].text().into(),
        source: r[8].text().into(),
        state: r[9].text().into(),
        deposited_at: parse_ts(r[10].text())?,
        files: serde_json::from_str(r[11].text()).map_err(storage)?,
        receipt: r[12].text().into(),
    })
}

/// The office's deposit with this idempotency key.
pub fn deposit_by_key(sql: &mut dyn Sql, office_id: &str, key: &str) -> Result<Option<DepositRow>> {
    let rows = sql.query(
        &format!("SELECT {DEPOSIT_COLS} FROM deposits WHERE office_id = $1 AND idem_key = $2"),
        &[office_id.into(), key.into()],
    )?;
    rows.first().map(|r| deposit_row(r)).transpose()
}

/// The office's deposit with this id (another office's is `None`).
pub fn deposit(sql: &mut dyn Sql, office_id: &str, id: &str) -> Result<Option<DepositRow>> {
    let rows = sql.query(
        &format!("SELECT {DEPOSIT_COLS} FROM deposits WHERE office_id = $1 AND id = $2"),
        &[office_id.into(), id.into()],
    )?;
    rows.first().map(|r| deposit_row(r)).transpose()
}

/// Records a deposit.
pub fn insert_deposit(sql: &mut dyn Sql, d: &DepositRow) -> Result<()> {
    sql.exec(
        &format!(
            "INSERT INTO deposits ({DEPOSIT_COLS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ),
        &[
            (&d.id).into(),
            (&d.office_id).into(),
            (&d.idem_key).into(),
            (&d.content_sha256).into(),
            (&d.recipient_id).into(),
            (&d.recipient_name).into(),
            (&d.nature).into(),
            (&d.reference).into(),
            (&d.source).into(),
            (&d.state).into(),
            ts(d.deposited_at).into(),
            serde_json::to_string(&d.files).map_err(storage)?.into(),
            (&d.receipt).into(),
        ],
    )?;
    Ok(())
}

/// Files one act in the recipient's vault.
pub fn insert_recipient_file(
    sql: &mut dyn Sql,
    recipient_id: &str,
    deposit_id: &str,
    name: &str,
    sha256: &str,
    size: i64,
) -> Result<()> {
    sql.exec(
        "INSERT INTO recipient_files (recipient_id, deposit_id, name, sha256, size) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            recipient_id.into(),
            deposit_id.into(),
            name.into(),
            sha256.into(),
            size.into(),
        ],
    )?;
    Ok(())
}

/// Search criteria of the manual's search form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SearchCriteria {
    /// Service date from (inclusive, `YYYY-MM-DD`, Europe/Paris day converted by the caller).
    pub from: Option<DateTime<Utc>>,
    /// Service date to (exclusive).
    pub to: Option<DateTime<Utc>>,
    /// Delivery state.
    pub state: Option<String>,
    /// Reference (prefix, case-insensitive).
    pub reference: Option<String>,
    /// Document name (substring).
    pub document: Option<String>,
    /// Recipient id.
    pub recipient_id: Option<String>,
    /// Nature code.
    pub nature: Option<String>,
    /// Source (`form` or `edi`).
    pub source: Option<String>,
}

/// Searches the office's deposits; returns (page, total).
pub fn search_deposits(
    sql: &mut dyn Sql,
    office_id: &str,
    c: &SearchCriteria,
    offset: i64,
    limit: i64,
) -> Result<(Vec<DepositRow>, u64)> {
    let mut conds = vec!["office_id = $1".to_owned()];
    let mut params: Vec<Val> = vec![office_id.into()];
    let mut add = |cond: &str, v: Val| {
        params.push(v);
        conds.push(cond.replace('?', &format!("${}", params.len())));
    };
    if let Some(f) = c.from {
        add("deposited_at >= ?", ts(f).into());
    }
    if let Some(t) = c.to {
        add("deposited_at < ?", ts(t).into());
    }
    if let Some(s) = &c.state {
        add("state = ?", s.into());
    }
    if let Some(r) = &c.reference {
        add(
            "LOWER(reference) LIKE ?",
            format!("{}%", r.to_lowercase()).into(),
        );
    }
    if let Some(d) = &c.document {
        add(
            "LOWER(files) LIKE ?",
            format!("%{}%", d.to_lowercase()).into(),
        );
    }
    if let Some(r) = &c.recipient_id {
        add("recipient_id = ?", r.into());
    }
    if let Some(n) = &c.nature {
        add("nature = ?", n.into());
    }
    if let Some(s) = &c.source {
        add("source = ?", s.into());
    }
    let where_ = conds.join(" AND ");
    let total = sql
        .query(
            &format!("SELECT COUNT(*) FROM deposits WHERE {where_}"),
            &params,
        )?
        .first()
        .map(|r| r[0].int())
        .unwrap_or(0);
    let n = params.len();
    params.push(limit.into());
    params.push(offset.into());
    let rows = sql.query(
        &format!(
            "SELECT {DEPOSIT_COLS} FROM deposits WHERE {where_} \
             ORDER BY deposited_at DESC, id LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        ),
        &params,
    )?;
    let rows = rows.iter().map(|r| deposit_row(r)).collect::<Result<_>>()?;
    Ok((rows, u64::try_from(total).unwrap_or(0)))
}

// ---------------------------------------------------------------------------------------------
// Office vault

const ENTRY_COLS: &str = "path, is_folder, size, sha256, modified, retained_until, deposit_id";

fn entry_row(r: &[Val]) -> Result<VaultEntry> {
    Ok(VaultEntry {
        path: r[0].text().into(),
        is_folder: r[1].int() != 0,
        size: u64::try_from(r[2].int()).unwrap_or(0),
        sha256: r[3].opt_text(),
        modified: parse_ts(r[4].text())?,
        retained_until: r[5].opt_text().map(|s| parse_ts(&s)).transpose()?,
        deposit_id: r[6].opt_text(),
    })
}

/// Adds an entry (file or folder) to an office's vault.
pub fn insert_entry(sql: &mut dyn Sql, office_id: &str, e: &VaultEntry) -> Result<()> {
    if entry(sql, office_id, &e.path)?.is_some() {
        return Err(Error::PathExists);
    }
    sql.exec(
        &format!("INSERT INTO vault_entries (office_id, {ENTRY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
        &[
            office_id.into(),
            (&e.path).into(),
            i64::from(e.is_folder).into(),
            i64::try_from(e.size).unwrap_or(i64::MAX).into(),
            e.sha256.clone().into(),
            ts(e.modified).into(),
            e.retained_until.map(ts).into(),
            e.deposit_id.clone().into(),
        ],
    )?;
    Ok(())
}

/// One entry of an office's vault.
pub fn entry(sql: &mut dyn Sql, office_id: &str, path: &str) -> Result<Option<VaultEntry>> {
    let rows = sql.query(
        &format!("SELECT {ENTRY_COLS} FROM vault_entries WHERE office_id = $1 AND path = $2"),
        &[office_id.into(), path.into()],
    )?;
    rows.first().map(|r| entry_row(r)).transpose()
}

/// Entries directly under `folder` ("" for the root).
pub fn list_entries(sql: &mut dyn Sql, office_id: &str, folder: &str) -> Result<Vec<VaultEntry>> {
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let rows = sql.query(
        &format!(
            "SELECT {ENTRY_COLS} FROM vault_entries WHERE office_id = $1 \
             AND path LIKE $2 ESCAPE '\\' ORDER BY is_folder DESC, path"
        ),
        &[
            office_id.into(),
            format!("{}%", like_escape(&prefix)).into(),
        ],
    )?;
    let all = rows
        .iter()
        .map(|r| entry_row(r))
        .collect::<Result<Vec<_>>>()?;
    Ok(all
        .into_iter()
        .filter(|e| e.path.starts_with(&prefix) && !e.path[prefix.len()..].contains('/'))
        .collect())
}

/// Escapes LIKE wildcards (`_` is common in file names) for use with `ESCAPE '\'`.
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Every entry at or below `path`.
pub fn subtree(sql: &mut dyn Sql, office_id: &str, path: &str) -> Result<Vec<VaultEntry>> {
    let rows = sql.query(
        &format!(
            "SELECT {ENTRY_COLS} FROM vault_entries WHERE office_id = $1 \
             AND (path = $2 OR path LIKE $3 ESCAPE '\\') ORDER BY path"
        ),
        &[
            office_id.into(),
            path.into(),
            format!("{}/%", like_escape(path)).into(),
        ],
    )?;
    let prefix = format!("{path}/");
    rows.iter()
        .map(|r| entry_row(r))
        .filter(|e| {
            e.as_ref()
                .map_or(true, |e| e.path == path || e.path.starts_with(&prefix))
        })
        .collect()
}

/// Renames one entry's path.
pub fn set_entry_path(
    sql: &mut dyn Sql,
    office_id: &str,
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sql.exec(
        "UPDATE vault_entries SET path = $1, modified = $2 WHERE office_id = $3 AND path = $4",
        &[to.into(), ts(now).into(), office_id.into(), from.into()],
    )?;
    Ok(())
}

/// Deletes one entry.
pub fn delete_entry(sql: &mut dyn Sql, office_id: &str, path: &str) -> Result<()> {
    sql.exec(
        "DELETE FROM vault_entries WHERE office_id = $1 AND path = $2",
        &[office_id.into(), path.into()],
    )?;
    Ok(())
}

/// Bytes used by an office's vault.
pub fn space_used(sql: &mut dyn Sql, office_id: &str) -> Result<u64> {
    // SUM(bigint) is NUMERIC in PostgreSQL: cast back to BIGINT (a no-op for SQLite).
    let rows = sql.query(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM vault_entries WHERE office_id = $1",
        &[office_id.into()],
    )?;
    Ok(rows
        .first()
        .map(|r| u64::try_from(r[0].int()).unwrap_or(0))
        .unwrap_or(0))
}

// ---------------------------------------------------------------------------------------------
// Journal

/// One journal line as stored.
#[derive(Debug, Clone)]
pub struct JournalRow {
    /// Position (1-based, gapless).
    pub seq: i64,
    /// Office concerned.
    pub office_id: Option<String>,
    /// Deposit concerned.
    pub deposit_id: Option<String>,
    /// Event name.
    pub event: String,
    /// Event time.
    pub at: String,
    /// French message.
    pub message: String,
    /// Canonical JSON of the evidence record.
    pub record: String,
    /// Chain hash after this record.
    pub hash: String,
}

const JOURNAL_COLS: &str = "seq, office_id, deposit_id, event, at, message, record, hash";

fn journal_row(r: &[Val]) -> JournalRow {
    JournalRow {
        seq: r[0].int(),
        office_id: r[1].opt_text(),
        deposit_id: r[2].opt_text(),
        event: r[3].text().into(),
        at: r[4].text().into(),
        message: r[5].text().into(),
        record: r[6].text().into(),
        hash: r[7].text().into(),
    }
}

/// The last journal line (for chaining).
pub fn journal_head(sql: &mut dyn Sql) -> Result<Option<JournalRow>> {
    let rows = sql.query(
        &format!("SELECT {JOURNAL_COLS} FROM journal ORDER BY seq DESC LIMIT 1"),
        &[],
    )?;
    Ok(rows.first().map(|r| journal_row(r)))
}

/// Appends a journal line.
pub fn insert_journal(sql: &mut dyn Sql, j: &JournalRow) -> Result<()> {
    sql.exec(
        &format!("INSERT INTO journal ({JOURNAL_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
        &[
            j.seq.into(),
            j.office_id.clone().into(),
            j.deposit_id.clone().into(),
            (&j.event).into(),
            (&j.at).into(),
            (&j.message).into(),
            (&j.record).into(),
            (&j.hash).into(),
        ],
    )?;
    Ok(())
}

/// Journal lines of one office after `after`, at most `limit`.
pub fn office_journal(
    sql: &mut dyn Sql,
    office_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<JournalRow>> {
    let rows = sql.query(
        &format!(
            "SELECT {JOURNAL_COLS} FROM journal WHERE office_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3"
        ),
        &[office_id.into(), after.into(), limit.into()],
    )?;
    Ok(rows.iter().map(|r| journal_row(r)).collect())
}

/// Journal lines of one deposit.
pub fn deposit_journal(sql: &mut dyn Sql, deposit_id: &str) -> Result<Vec<JournalRow>> {
    let rows = sql.query(
        &format!("SELECT {JOURNAL_COLS} FROM journal WHERE deposit_id = $1 ORDER BY seq"),
        &[deposit_id.into()],
    )?;
    Ok(rows.iter().map(|r| journal_row(r)).collect())
}

/// A journal checkpoint as stored (`sceau_proto::JournalCheckpoint` with its range).
#[derive(Debug, Clone)]
pub struct CheckpointRow {
    /// First line covered.
    pub first_seq: i64,
    /// Last line covered.
    pub last_seq: i64,
    /// The checkpoint.
    pub checkpoint: sceau_proto::JournalCheckpoint,
}

const CHECKPOINT_COLS: &str = "first_seq, last_seq, statement, seal, timestamp_token";

fn checkpoint_row(r: &[Val]) -> CheckpointRow {
    CheckpointRow {
        first_seq: r[0].int(),
        last_seq: r[1].int(),
        checkpoint: sceau_proto::JournalCheckpoint {
            statement: r[2].text().into(),
            seal: r[3].text().into(),
            timestamp_token: r[4].text().into(),
        },
    }
}

/// The newest checkpoint.
pub fn last_checkpoint(sql: &mut dyn Sql) -> Result<Option<CheckpointRow>> {
    let rows = sql.query(
        &format!(
            "SELECT {CHECKPOINT_COLS} FROM journal_checkpoints ORDER BY last_seq DESC LIMIT 1"
        ),
        &[],
    )?;
    Ok(rows.first().map(|r| checkpoint_row(r)))
}

/// The checkpoint covering line `seq`.
pub fn checkpoint_covering(sql: &mut dyn Sql, seq: i64) -> Result<Option<CheckpointRow>> {
    let rows = sql.query(
        &format!(
            "SELECT {CHECKPOINT_COLS} FROM journal_checkpoints WHERE first_seq <= $1 \
             AND last_seq >= $1"
        ),
        &[seq.into()],
    )?;
    Ok(rows.first().map(|r| checkpoint_row(r)))
}

/// Checkpoints whose last line is after `after`, oldest first, at most `limit`.
pub fn checkpoints_after(sql: &mut dyn Sql, after: i64, limit: i64) -> Result<Vec<CheckpointRow>> {
    let rows = sql.query(
        &format!(
            "SELECT {CHECKPOINT_COLS} FROM journal_checkpoints WHERE last_seq > $1 \
             ORDER BY last_seq LIMIT $2"
        ),
        &[after.into(), limit.into()],
    )?;
    Ok(rows.iter().map(|r| checkpoint_row(r)).collect())
}

/// Stores a checkpoint.
pub fn insert_checkpoint(sql: &mut dyn Sql, c: &CheckpointRow) -> Result<()> {
    sql.exec(
        &format!("INSERT INTO journal_checkpoints ({CHECKPOINT_COLS}) VALUES ($1, $2, $3, $4, $5)"),
        &[
            c.first_seq.into(),
            c.last_seq.into(),
            (&c.checkpoint.statement).into(),
            (&c.checkpoint.seal).into(),
            (&c.checkpoint.timestamp_token).into(),
        ],
    )?;
    Ok(())
}

/// (seq, hash) of journal lines `first..=last`, in order.
pub fn journal_hashes(sql: &mut dyn Sql, first: i64, last: i64) -> Result<Vec<(i64, String)>> {
    let rows = sql.query(
        "SELECT seq, hash FROM journal WHERE seq >= $1 AND seq <= $2 ORDER BY seq",
        &[first.into(), last.into()],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| (r[0].int(), r[1].text().to_owned()))
        .collect())
}

/// (seq, record, hash) of journal lines after `after`: what verification reads.
pub fn journal_chain_batch(
    sql: &mut dyn Sql,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String)>> {
    let rows = sql.query(
        "SELECT seq, record, hash FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2",
        &[after.into(), limit.into()],
    )?;
    Ok(rows
        .into_iter()
        .map(|mut r| {
            let hash = std::mem::replace(&mut r[2], Val::Null);
            let record = std::mem::replace(&mut r[1], Val::Null);
            (
                r[0].int(),
                record.opt_text().unwrap_or_default(),
                hash.opt_text().unwrap_or_default(),
            )
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Recipient side: consultations, delivery notices, notifications, portal, returns, bank
// certificates (migration step 2, applied after the base schema).

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
pub fn migrate_recipient_side(sql: &mut dyn Sql) -> Result<()> {
    for stmt in SCHEMA_RECIPIENT
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        sql.exec(stmt, &[])?;
    }
    Ok(())
}

/// Deposits still awaiting consultation, served at or before `until`, oldest first.
pub fn awaiting_deposits(
    sql: &mut dyn Sql,
    until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DepositRow>> {
    let rows = sql.query(
        &format!(
            "SELECT {DEPOSIT_COLS} FROM deposits WHERE state = 'awaiting_consultation' \
             AND deposited_at <= $1 ORDER BY deposited_at, id LIMIT $2"
        ),
        &[ts(until).into(), limit.into()],
    )?;
    rows.iter().map(|r| deposit_row(r)).collect()
}

/// Deposits consulted but still awaiting their decision (a notice not filed yet, e.g. after a
/// crash), oldest consultation first.
pub fn consulted_undecided(sql: &mut dyn Sql, limit: i64) -> Result<Vec<DepositRow>> {
    let cols = deposit_cols_of("d");
    let rows = sql.query(
        &format!(
            "SELECT {cols} FROM deposits d JOIN consultations c ON c.deposit_id = d.id \
             WHERE d.state = 'awaiting_consultation' ORDER BY c.consulted_at, d.id LIMIT $1"
        ),
        &[limit.into()],
    )?;
    rows.iter().map(|r| deposit_row(r)).collect()
}

/// A deposit by id, whatever the office (the vault's own tasks and the recipient side, which
/// check the recipient themselves).
pub fn deposit_any(sql: &mut dyn Sql, id: &str) -> Result<Option<DepositRow>> {
    let rows = sql.query(
        &format!("SELECT {DEPOSIT_COLS} FROM deposits WHERE id = $1"),
        &[id.into()],
    )?;
    rows.first().map(|r| deposit_row(r)).transpose()
}

/// Records the first consultation of a deposit; `false` if one was already recorded.
pub fn insert_consultation(
    sql: &mut dyn Sql,
    deposit_id: &str,
    recipient_id: &str,
    at: DateTime<Utc>,
    channel: &str,
) -> Result<bool> {
    if consultation(sql, deposit_id)?.is_some() {
        return Ok(false);
    }
    sql.exec(
        "INSERT INTO consultations (deposit_id, recipient_id, consulted_at, channel) \
         VALUES ($1, $2, $3, $4)",
        &[
            deposit_id.into(),
            recipient_id.into(),
            ts(at).into(),
            channel.into(),
        ],
    )?;
    Ok(true)
}

/// The first consultation of a deposit, if any.
pub fn consultation(sql: &mut dyn Sql, deposit_id: &str) -> Result<Option<DateTime<Utc>>> {
    let rows = sql.query(
        "SELECT consulted_at FROM consultations WHERE deposit_id = $1",
        &[deposit_id.into()],
    )?;
    rows.first().map(|r| parse_ts(r[0].text())).transpose()
}

/// Moves a deposit out of `awaiting_consultation`; `false` if it had left it already.
pub fn set_delivery_state(sql: &mut dyn Sql, deposit_id: &str, state: &str) -> Result<bool> {
    let n = sql.exec(
        "UPDATE deposits SET state = $1 WHERE id = $2 AND state = 'awaiting_consultation'",
        &[state.into(), deposit_id.into()],
    )?;
    Ok(n == 1)
}

/// A delivery notice as stored.
#[derive(Debug, Clone)]
pub struct NoticeRow {
    /// Deposit.
    pub deposit_id: String,
    /// `in_person` or `at_home`.
    pub state: String,
    /// When the vault decided.
    pub decided_at: DateTime<Utc>,
    /// When the state became final (consultation, or deadline).
    pub effective_at: DateTime<Utc>,
    /// File name (`<act>_REMISE.pdf`).
    pub name: String,
    /// Path in the office's vault.
    pub path: String,
    /// SHA-256 of the PDF.
    pub sha256: String,
    /// Plain letter date (à domicile).
    pub letter_date: Option<NaiveDate>,
}

/// Records a delivery notice.
pub fn insert_notice(sql: &mut dyn Sql, n: &NoticeRow) -> Result<()> {
    sql.exec(
        "INSERT INTO delivery_notices (deposit_id, state, decided_at, effective_at, name, path, \
         sha256, letter_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            (&n.deposit_id).into(),
            (&n.state).into(),
            ts(n.decided_at).into(),
            ts(n.effective_at).into(),
            (&n.name).into(),
            (&n.path).into(),
            (&n.sha256).into(),
            n.letter_date.map(|d| d.to_string()).into(),
        ],
    )?;
    Ok(())
}

/// The delivery notice of a deposit, if decided.
pub fn notice(sql: &mut dyn Sql, deposit_id: &str) -> Result<Option<NoticeRow>> {
    let rows = sql.query(
        "SELECT deposit_id, state, decided_at, effective_at, name, path, sha256, letter_date \
         FROM delivery_notices WHERE deposit_id = $1",
        &[deposit_id.into()],
    )?;
    rows.first()
        .map(|r| {
            Ok(NoticeRow {
                deposit_id: r[0].text().into(),
                state: r[1].text().into(),
                decided_at: parse_ts(r[2].text())?,
                effective_at: parse_ts(r[3].text())?,
                name: r[4].text().into(),
                path: r[5].text().into(),
                sha256: r[6].text().into(),
                letter_date: r[7]
                    .opt_text()
                    .map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(storage))
                    .transpose()?,
            })
        })
        .transpose()
}

/// A free path in the office's vault: `path`, else `stem_2.ext`, `stem_3.ext`...
pub fn free_path(sql: &mut dyn Sql, office_id: &str, path: &str) -> Result<String> {
    let mut candidate = path.to_owned();
    let (stem, ext) = path.rsplit_once('.').unwrap_or((path, ""));
    let mut n = 1;
    while entry(sql, office_id, &candidate)?.is_some() {
        n += 1;
        candidate = if ext.is_empty() {
            format!("{stem}_{n}")
        } else {
            format!("{stem}_{n}.{ext}")
        };
    }
    Ok(candidate)
}

/// Files one generated document (and its seal) in the office's vault under `folder`, creating
/// the folder if needed; returns the document's path.
pub fn file_in_office_vault(
    sql: &mut dyn Sql,
    office_id: &str,
    folder: &str,
    entries: &[(String, u64, String)],
    deposit_id: &str,
    now: DateTime<Utc>,
    retained_until: Option<DateTime<Utc>>,
) -> Result<Vec<String>> {
    ensure_folder(sql, office_id, folder, now)?;
    let mut paths = Vec::new();
    for (name, size, sha) in entries {
        let path = free_path(sql, office_id, &format!("{folder}/{name}"))?;
        insert_entry(
            sql,
            office_id,
            &VaultEntry {
                path: path.clone(),
                is_folder: false,
                size: *size,
                modified: now,
                sha256: Some(sha.clone()),
                retained_until,
                deposit_id: Some(deposit_id.into()),
            },
        )?;
        paths.push(path);
    }
    Ok(paths)
}

/// A recipient's return of an act, as stored.
#[derive(Debug, Clone)]
pub struct ReturnRow {
    /// Deposit answered.
    pub deposit_id: String,
    /// Recipient who answered.
    pub recipient_id: String,
    /// When the vault received it.
    pub deposited_at: DateTime<Utc>,
    /// File name (`<act>_<NATURE>.pdf`).
    pub name: String,
    /// Path in the office's vault.
    pub path: String,
    /// SHA-256 of the PDF.
    pub sha256: String,
    /// Size of the PDF.
    pub size: u64,
    /// SHA-256 of the structured answer (JSON), if any.
    pub answer_sha256: Option<String>,
}

/// Records a return; `false` if the deposit already has one.
pub fn insert_return(sql: &mut dyn Sql, r: &ReturnRow) -> Result<bool> {
    if act_return(sql, &r.deposit_id)?.is_some() {
        return Ok(false);
    }
    sql.exec(
        "INSERT INTO act_returns (deposit_id, recipient_id, deposited_at, name, path, sha256, \
         size, answer_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            (&r.deposit_id).into(),
            (&r.recipient_id).into(),
            ts(r.deposited_at).into(),
            (&r.name).into(),
            (&r.path).into(),
            (&r.sha256).into(),
            i64::try_from(r.size).unwrap_or(i64::MAX).into(),
            r.answer_sha256.clone().into(),
        ],
    )?;
    Ok(true)
}

/// The return of a deposit, if any.
pub fn act_return(sql: &mut dyn Sql, deposit_id: &str) -> Result<Option<ReturnRow>> {
    let rows = sql.query(
        "SELECT deposit_id, recipient_id, deposited_at, name, path, sha256, size, answer_sha256 \
         FROM act_returns WHERE deposit_id = $1",
        &[deposit_id.into()],
    )?;
    rows.first()
        .map(|r| {
            Ok(ReturnRow {
                deposit_id: r[0].text().into(),
                recipient_id: r[1].text().into(),
                deposited_at: parse_ts(r[2].text())?,
                name: r[3].text().into(),
                path: r[4].text().into(),
                sha256: r[5].text().into(),
                size: u64::try_from(r[6].int()).unwrap_or(0),
                answer_sha256: r[7].opt_text(),
            })
        })
        .transpose()
}

/// One act as the recipient sees it.
#[derive(Debug, Clone)]
pub struct RecipientAct {
    /// The deposit.
    pub deposit: DepositRow,
    /// First consultation, if any.
    pub consulted_at: Option<DateTime<Utc>>,
    /// Whether a return was deposited.
    pub returned: bool,
}

/// The recipient's deposits, newest first (at most `limit`).
pub fn recipient_acts(
    sql: &mut dyn Sql,
    recipient_id: &str,
    limit: i64,
) -> Result<Vec<RecipientAct>> {
    let cols = deposit_cols_of("d");
    let rows = sql.query(
        &format!(
            "SELECT {cols}, c.consulted_at, r.deposit_id FROM deposits d \
             LEFT JOIN consultations c ON c.deposit_id = d.id \
             LEFT JOIN act_returns r ON r.deposit_id = d.id \
             WHERE d.recipient_id = $1 ORDER BY d.deposited_at DESC, d.id LIMIT $2"
        ),
        &[recipient_id.into(), limit.into()],
    )?;
    rows.iter()
        .map(|r| {
            Ok(RecipientAct {
                deposit: deposit_row(r)?,
                consulted_at: r[13].opt_text().map(|s| parse_ts(&s)).transpose()?,
                returned: r[14].opt_text().is_some(),
            })
        })
        .collect()
}

/// The recipient's deposit with this id (another recipient's is `None`).
pub fn recipient_deposit(
    sql: &mut dyn Sql,
    recipient_id: &str,
    deposit_id: &str,
) -> Result<Option<DepositRow>> {
    let rows = sql.query(
        &format!("SELECT {DEPOSIT_COLS} FROM deposits WHERE recipient_id = $1 AND id = $2"),
        &[recipient_id.into(), deposit_id.into()],
    )?;
    rows.first().map(|r| deposit_row(r)).transpose()
}

/// SHA-256 (blob key) of one act filed in the recipient's vault.
pub fn recipient_file_sha(
    sql: &mut dyn Sql,
    recipient_id: &str,
    deposit_id: &str,
    name: &str,
) -> Result<Option<String>> {
    let rows = sql.query(
        "SELECT sha256 FROM recipient_files WHERE recipient_id = $1 AND deposit_id = $2 \
         AND name = $3",
        &[recipient_id.into(), deposit_id.into(), name.into()],
    )?;
    Ok(rows.first().map(|r| r[0].text().to_owned()))
}

/// "Name (number)" of an office, for texts sent to recipients.
pub fn office_label(sql: &mut dyn Sql, office_id: &str) -> Result<String> {
    let rows = sql.query(
        "SELECT number, name FROM offices WHERE id = $1",
        &[office_id.into()],
    )?;
    Ok(rows
        .first()
        .map(|r| format!("L'étude {} ({})", r[1].text(), r[0].text()))
        .unwrap_or_else(|| "Une étude de commissaire de justice".into()))
}

/// Accepted deposits since `since` that have no notification rows yet, oldest first.
pub fn deposits_without_notification(
    sql: &mut dyn Sql,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DepositRow>> {
    let rows = sql.query(
        &format!(
            "SELECT {DEPOSIT_COLS} FROM deposits d WHERE deposited_at >= $1 AND NOT EXISTS \
             (SELECT 1 FROM notifications n WHERE n.deposit_id = d.id) \
             ORDER BY deposited_at, id LIMIT $2"
        ),
        &[ts(since).into(), limit.into()],
    )?;
    rows.iter().map(|r| deposit_row(r)).collect()
}

/// Queues a notification (pending, due at `now`); nothing if it exists.
pub fn insert_notification(
    sql: &mut dyn Sql,
    deposit_id: &str,
    channel: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let exists = sql.query(
        "SELECT 1 FROM notifications WHERE deposit_id = $1 AND channel = $2",
        &[deposit_id.into(), channel.into()],
    )?;
    if exists.is_empty() {
        sql.exec(
            "INSERT INTO notifications (deposit_id, channel, status, attempts, next_at) \
             VALUES ($1, $2, 'pending', 0, $3)",
            &[deposit_id.into(), channel.into(), ts(now).into()],
        )?;
    }
    Ok(())
}

/// Pending notifications due at `now`: (deposit, channel, attempts so far).
pub fn due_notifications(
    sql: &mut dyn Sql,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, String, i64)>> {
    let rows = sql.query(
        "SELECT deposit_id, channel, attempts FROM notifications \
         WHERE status = 'pending' AND next_at <= $1 ORDER BY next_at LIMIT $2",
        &[ts(now).into(), limit.into()],
    )?;
    Ok(rows
        .iter()
        .map(|r| (r[0].text().to_owned(), r[1].text().to_owned(), r[2].int()))
        .collect())
}

/// When the next pending notification is due.
pub fn next_notification_at(sql: &mut dyn Sql) -> Result<Option<DateTime<Utc>>> {
    let rows = sql.query(
        "SELECT MIN(next_at) FROM notifications WHERE status = 'pending'",
        &[],
    )?;
    rows.first()
        .and_then(|r| r[0].opt_text())
        .map(|s| parse_ts(&s))
        .transpose()
}

/// Schedules another attempt.
pub fn retry_notification(
    sql: &mut dyn Sql,
    deposit_id: &str,
    channel: &str,
    attempts: i64,
    next_at: DateTime<Utc>,
    error: &str,
) -> Result<()> {
    sql.exec(
        "UPDATE notifications SET attempts = $1, next_at = $2, last_error = $3 \
         WHERE deposit_id = $4 AND channel = $5",
        &[
            attempts.into(),
            ts(next_at).into(),
            error.into(),
            deposit_id.into(),
            channel.into(),
        ],
    )?;
    Ok(())
}

/// Marks a notification `sent` or `failed`.
pub fn finish_notification(
    sql: &mut dyn Sql,
    deposit_id: &str,
    channel: &str,
    status: &str,
    error: Option<&str>,
) -> Result<()> {
    sql.exec(
        "UPDATE notifications SET status = $1, last_error = $2 \
         WHERE deposit_id = $3 AND channel = $4",
        &[
            status.into(),
            error.map(str::to_owned).into(),
            deposit_id.into(),
            channel.into(),
        ],
    )?;
    Ok(())
}

/// Sets the attempt count of a notification.
pub fn set_notification_attempts(
    sql: &mut dyn Sql,
    deposit_id: &str,
    channel: &str,
    attempts: i64,
) -> Result<()> {
    sql.exec(
        "UPDATE notifications SET attempts = $1 WHERE deposit_id = $2 AND channel = $3",
        &[attempts.into(), deposit_id.into(), channel.into()],
    )?;
    Ok(())
}

/// The status and attempts of a notification.
pub fn notification_status(
    sql: &mut dyn Sql,
    deposit_id: &str,
    channel: &str,
) -> Result<Option<(String, i64)>> {
    let rows = sql.query(
        "SELECT status, attempts FROM notifications WHERE deposit_id = $1 AND channel = $2",
        &[deposit_id.into(), channel.into()],
    )?;
    Ok(rows.first().map(|r| (r[0].text().to_owned(), r[1].int())))
}

/// Stores a portal link (its token's SHA-256).
pub fn insert_link(
    sql: &mut dyn Sql,
    token_hash: &str,
    recipient_id: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<()> {
    sql.exec(
        "INSERT INTO portal_links (token_hash, recipient_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
        &[
            token_hash.into(),
            recipient_id.into(),
            ts(now).into(),
            ts(expires).into(),
        ],
    )?;
    Ok(())
}

/// The recipient of a link still valid at `now`.
pub fn link_recipient(
    sql: &mut dyn Sql,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let rows = sql.query(
        "SELECT recipient_id FROM portal_links WHERE token_hash = $1 AND expires_at > $2",
        &[token_hash.into(), ts(now).into()],
    )?;
    Ok(rows.first().map(|r| r[0].text().to_owned()))
}

/// What a purge of the portal's expired secrets removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PortalPurge {
    /// Links past their life.
    pub links: u64,
    /// Codes of those links (a code row also keeps its link's wrong-code count, so it goes
    /// only with its link: a locked link stays locked while it lives).
    pub codes: u64,
    /// Sessions past their life.
    pub sessions: u64,
    /// Audit lines older than the retention.
    pub audit: u64,
}

/// Deletes the portal's links and sessions expired at `now`, the codes of deleted links, and
/// the audit lines written before `audit_before`.
pub fn purge_portal(
    sql: &mut dyn Sql,
    now: DateTime<Utc>,
    audit_before: DateTime<Utc>,
) -> Result<PortalPurge> {
    let now = ts(now);
    let links = sql.exec(
        "DELETE FROM portal_links WHERE expires_at <= $1",
        &[now.clone().into()],
    )?;
    let codes = sql
        .query(
            "DELETE FROM portal_codes WHERE NOT EXISTS \
             (SELECT 1 FROM portal_links l WHERE l.token_hash = portal_codes.link_hash) \
             RETURNING link_hash",
            &[],
        )?
        .len() as u64;
    let sessions = sql.exec(
        "DELETE FROM portal_sessions WHERE expires_at <= $1",
        &[now.into()],
    )?;
    let audit = sql.exec(
        "DELETE FROM portal_audit WHERE at < $1",
        &[ts(audit_before).into()],
    )?;
    Ok(PortalPurge {
        links,
        codes,
        sessions,
        audit,
    })
}

/// Writes one line of the portal's audit trail.
pub fn insert_audit(
    sql: &mut dyn Sql,
    at: DateTime<Utc>,
    recipient_id: Option<&str>,
    action: &str,
    deposit_id: Option<&str>,
    ok: bool,
) -> Result<()> {
    sql.exec(
        "INSERT INTO portal_audit (at, recipient_id, action, deposit_id, ok) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            ts(at).into(),
            recipient_id.map(str::to_owned).into(),
            action.into(),
            deposit_id.map(str::to_owned).into(),
            i64::from(ok).into(),
        ],
    )?;
    Ok(())
}

/// One line of the portal's audit trail: (action, recipient, deposit, allowed).
pub type AuditLine = (String, Option<String>, Option<String>, bool);

/// Audit lines, oldest first.
pub fn audit_lines(sql: &mut dyn Sql) -> Result<Vec<AuditLine>> {
    let rows = sql.query(
        "SELECT action, recipient_id, deposit_id, ok FROM portal_audit ORDER BY at, action",
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r[0].text().to_owned(),
                r[1].opt_text(),
                r[2].opt_text(),
                r[3].int() != 0,
            )
        })
        .collect())
}

/// The one-time code of a link.
#[derive(Debug, Clone)]
pub struct CodeState {
    /// SHA-256 of link hash and code.
    pub code_hash: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Wrong codes typed on this link (kept across new codes).
    pub attempts: i64,
    /// Whether the code was used.
    pub used: bool,
}

/// The code state of a link.
pub fn code_state(sql: &mut dyn Sql, link_hash: &str) -> Result<Option<CodeState>> {
    let rows = sql.query(
        "SELECT code_hash, expires_at, attempts, used FROM portal_codes WHERE link_hash = $1",
        &[link_hash.into()],
    )?;
    rows.first()
        .map(|r| {
            Ok(CodeState {
                code_hash: r[0].text().into(),
                expires_at: parse_ts(r[1].text())?,
                attempts: r[2].int(),
                used: r[3].int() != 0,
            })
        })
        .transpose()
}

/// Sets a new code for a link (the wrong-code count is kept).
pub fn set_code(
    sql: &mut dyn Sql,
    link_hash: &str,
    code_hash: &str,
    expires: DateTime<Utc>,
) -> Result<()> {
    let n = sql.exec(
        "UPDATE portal_codes SET code_hash = $1, expires_at = $2, used = 0 WHERE link_hash = $3",
        &[code_hash.into(), ts(expires).into(), link_hash.into()],
    )?;
    if n == 0 {
        sql.exec(
            "INSERT INTO portal_codes (link_hash, code_hash, expires_at, attempts, used) \
             VALUES ($1, $2, $3, 0, 0)",
            &[link_hash.into(), code_hash.into(), ts(expires).into()],
        )?;
    }
    Ok(())
}

/// Counts a wrong code in one statement: when the link has a live, unused code that is not
/// `code_hash` and fewer than `max` failures, adds one and returns the new count; else `None`
/// (nothing counted: the code is right, locked, used or expired).
pub fn count_wrong_code(
    sql: &mut dyn Sql,
    link_hash: &str,
    code_hash: &str,
    max: i64,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let rows = sql.query(
        "UPDATE portal_codes SET attempts = attempts + 1 WHERE link_hash = $1 \
         AND code_hash <> $2 AND attempts < $3 AND used = 0 AND expires_at > $4 \
         RETURNING attempts",
        &[
            link_hash.into(),
            code_hash.into(),
            max.into(),
            ts(now).into(),
        ],
    )?;
    Ok(rows.first().map(|r| r[0].int()))
}

/// Consumes a right code in one statement: `true` when the link had the live, unused code
/// `code_hash` with fewer than `max` failures (a replay, a locked link or an expired code gets
/// `false`).
pub fn consume_right_code(
    sql: &mut dyn Sql,
    link_hash: &str,
    code_hash: &str,
    max: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = sql.exec(
        "UPDATE portal_codes SET used = 1 WHERE link_hash = $1 AND code_hash = $2 \
         AND attempts < $3 AND used = 0 AND expires_at > $4",
        &[
            link_hash.into(),
            code_hash.into(),
            max.into(),
            ts(now).into(),
        ],
    )?;
    Ok(n == 1)
}

/// Marks the code used; `false` if it was used already (a replay).
pub fn consume_code(sql: &mut dyn Sql, link_hash: &str) -> Result<bool> {
    let n = sql.exec(
        "UPDATE portal_codes SET used = 1 WHERE link_hash = $1 AND used = 0",
        &[link_hash.into()],
    )?;
    Ok(n == 1)
}

/// Opens a portal session.
pub fn insert_session(
    sql: &mut dyn Sql,
    id_hash: &str,
    recipient_id: &str,
    csrf: &str,
    expires: DateTime<Utc>,
) -> Result<()> {
    sql.exec(
        "INSERT INTO portal_sessions (id_hash, recipient_id, csrf, expires_at) VALUES ($1, $2, $3, $4)",
        &[id_hash.into(), recipient_id.into(), csrf.into(), ts(expires).into()],
    )?;
    Ok(())
}

/// (recipient, csrf, expiry) of a session valid at `now`.
pub fn session(
    sql: &mut dyn Sql,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, String, DateTime<Utc>)>> {
    let rows = sql.query(
        "SELECT recipient_id, csrf, expires_at FROM portal_sessions \
         WHERE id_hash = $1 AND expires_at > $2",
        &[id_hash.into(), ts(now).into()],
    )?;
    rows.first()
        .map(|r| {
            Ok((
                r[0].text().to_owned(),
                r[1].text().to_owned(),
                parse_ts(r[2].text())?,
            ))
        })
        .transpose()
}

/// Extends a session.
pub fn touch_session(sql: &mut dyn Sql, id_hash: &str, expires: DateTime<Utc>) -> Result<()> {
    sql.exec(
        "UPDATE portal_sessions SET expires_at = $1 WHERE id_hash = $2",
        &[ts(expires).into(), id_hash.into()],
    )?;
    Ok(())
}

/// Ends a session.
pub fn delete_session(sql: &mut dyn Sql, id_hash: &str) -> Result<()> {
    sql.exec(
        "DELETE FROM portal_sessions WHERE id_hash = $1",
        &[id_hash.into()],
    )?;
    Ok(())
}

/// The blob key of a deposit's archive ZIP in the office's vault, wherever the office moved it
/// (the entry of the deposit whose name ends in `.zip`: the delivery notice and its seal bear
/// the deposit's id too, and a retained entry keeps its extension, see
/// `api::office::move_entry`).
pub fn deposit_archive_sha(sql: &mut dyn Sql, deposit_id: &str) -> Result<Option<String>> {
    let rows = sql.query(
        "SELECT sha256 FROM vault_entries WHERE deposit_id = $1 AND path LIKE $2 \
         AND is_folder = 0 ORDER BY modified LIMIT 1",
        &[deposit_id.into(), "%.zip".into()],
    )?;
    Ok(rows.first().and_then(|r| r[0].opt_text()))
}

/// Binds a bank's certificate (SHA-256 fingerprint) to a recipient.
pub fn bind_bank_cert(
    sql: &mut dyn Sql,
    fingerprint: &str,
    recipient_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sql.exec(
        "DELETE FROM bank_certs WHERE fingerprint = $1",
        &[fingerprint.into()],
    )?;
    sql.exec(
        "INSERT INTO bank_certs (fingerprint, recipient_id, bound_at) VALUES ($1, $2, $3)",
        &[fingerprint.into(), recipient_id.into(), ts(now).into()],
    )?;
    Ok(())
}

/// The recipient bound to a bank certificate.
pub fn bank_by_cert(sql: &mut dyn Sql, fingerprint: &str) -> Result<Option<String>> {
    let rows = sql.query(
        "SELECT recipient_id FROM bank_certs WHERE fingerprint = $1",
        &[fingerprint.into()],
    )?;
    Ok(rows.first().map(|r| r[0].text().to_owned()))
}

/// Creates the top-level folder `folder` of an office's vault if it does not exist yet.
pub fn ensure_folder(
    sql: &mut dyn Sql,
    office_id: &str,
    folder: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    if entry(sql, office_id, folder)?.is_none() {
        insert_entry(sql, office_id, &VaultEntry::folder(folder, now))?;
    }
    Ok(())
}
