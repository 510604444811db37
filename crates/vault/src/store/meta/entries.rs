//! The office's vault: its entries (files and folders), and where generated documents are filed.

use chrono::{DateTime, Utc};
use sceau_proto::VaultEntry;

use super::{parse_ts, ts};
use crate::error::{Error, Result};
use crate::store::sql::{Sql, Val};

const ENTRY_COLS: &str =
    "path, is_folder, size, sha256, modified, retained_until, deposit_id, description";

fn entry_row(r: &[Val]) -> Result<VaultEntry> {
    Ok(VaultEntry {
        path: r[0].text().into(),
        is_folder: r[1].int() != 0,
        size: u64::try_from(r[2].int()).unwrap_or(0),
        sha256: r[3].opt_text(),
        modified: parse_ts(r[4].text())?,
        retained_until: r[5].opt_text().map(|s| parse_ts(&s)).transpose()?,
        deposit_id: r[6].opt_text(),
        description: r[7].opt_text(),
    })
}

/// Adds an entry (file or folder) to an office's vault.
pub fn insert_entry(sql: &mut dyn Sql, office_id: &str, e: &VaultEntry) -> Result<()> {
    if entry(sql, office_id, &e.path)?.is_some() {
        return Err(Error::PathExists);
    }
    sql.exec(
        &format!("INSERT INTO vault_entries (office_id, {ENTRY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
        &[
            office_id.into(),
            (&e.path).into(),
            i64::from(e.is_folder).into(),
            i64::try_from(e.size).unwrap_or(i64::MAX).into(),
            e.sha256.clone().into(),
            ts(e.modified).into(),
            e.retained_until.map(ts).into(),
            e.deposit_id.clone().into(),
            e.description.clone().into(),
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

/// Sets (or, with `None`, clears) one entry's description.
pub fn set_entry_description(
    sql: &mut dyn Sql,
    office_id: &str,
    path: &str,
    description: Option<&str>,
) -> Result<()> {
    sql.exec(
        "UPDATE vault_entries SET description = $1 WHERE office_id = $2 AND path = $3",
        &[description.into(), office_id.into(), path.into()],
    )?;
    Ok(())
}

/// Sets one entry's end of retention (the caller checked it is no earlier than the current one:
/// `api::properties`).
pub fn set_entry_retention(
    sql: &mut dyn Sql,
    office_id: &str,
    path: &str,
    until: DateTime<Utc>,
) -> Result<()> {
    sql.exec(
        "UPDATE vault_entries SET retained_until = $1 WHERE office_id = $2 AND path = $3",
        &[ts(until).into(), office_id.into(), path.into()],
    )?;
    Ok(())
}

/// The folders above `path`, nearest first.
pub fn ancestors(sql: &mut dyn Sql, office_id: &str, path: &str) -> Result<Vec<VaultEntry>> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some((parent, _)) = rest.rsplit_once('/') {
        if let Some(e) = entry(sql, office_id, parent)? {
            out.push(e);
        }
        rest = parent;
    }
    Ok(out)
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
                description: None,
            },
        )?;
        paths.push(path);
    }
    Ok(paths)
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
