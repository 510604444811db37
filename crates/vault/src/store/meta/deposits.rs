//! Deposits, the acts filed in the recipient's vault, and the office's deposit search.

use chrono::{DateTime, Utc};

use super::{parse_ts, ts};
use crate::error::{storage, Result};
use crate::store::sql::{Sql, Val};

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
    /// The place whose time zone and calendar governed its acceptance, and decide its delivery
    /// (none for deposits of earlier versions: the vault's default place).
    pub region: Option<sceau_core::region::Region>,
}

pub(super) const DEPOSIT_COLS: &str = "id, office_id, idem_key, content_sha256, recipient_id, \
    recipient_name, nature, reference, source, state, deposited_at, files, receipt, region";

/// How many columns [`DEPOSIT_COLS`] names: a query selecting more reads them from this index.
pub(super) const DEPOSIT_COL_COUNT: usize = 14;

/// [`DEPOSIT_COLS`] qualified by a table alias, for joins.
pub(super) fn deposit_cols_of(alias: &str) -> String {
    DEPOSIT_COLS
        .split(", ")
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn deposit_row(r: &[Val]) -> Result<DepositRow> {
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
        region: r[13]
            .opt_text()
            .map(|c| {
                sceau_core::region::Region::from_code(&c)
                    .map_err(|_| storage("a stored place is not a known region"))
            })
            .transpose()?,
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
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
            d.region.map(|r| r.code().to_owned()).into(),
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

/// A deposit by id, whatever the office (the vault's own tasks and the recipient side, which
/// check the recipient themselves).
pub fn deposit_any(sql: &mut dyn Sql, id: &str) -> Result<Option<DepositRow>> {
    let rows = sql.query(
        &format!("SELECT {DEPOSIT_COLS} FROM deposits WHERE id = $1"),
        &[id.into()],
    )?;
    rows.first().map(|r| deposit_row(r)).transpose()
}
