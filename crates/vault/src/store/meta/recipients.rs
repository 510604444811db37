//! The recipients' directory.

use chrono::{DateTime, NaiveDate, Utc};
use sceau_proto::{Recipient, RecipientKind};

use super::schema::{parse_ts, ts};
use crate::error::{storage, Result};
use crate::store::sql::{Sql, Val};

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
    /// The card sent to offices, without its place (kept apart: [`super::placed_card`]).
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
            region: None,
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

/// Inserts or replaces a recipient (a replaced one keeps its notice setting).
pub fn upsert_recipient(sql: &mut dyn Sql, r: &RecipientRow) -> Result<()> {
    let notices = super::recipient_notices(sql, &r.id)?;
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
    if notices.is_some() {
        super::set_recipient_notices(sql, &r.id, notices.as_deref())?;
    }
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

/// What the vault keeps of a recipient an office created (operator-imported recipients have
/// none of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// `M` or `Mme`, for a person.
    pub civility: Option<String>,
    /// First names, for a person.
    pub first_names: Option<String>,
    /// Last name, for a person.
    pub last_name: Option<String>,
    /// Birth date (`YYYY-MM-DD`), for a person.
    pub birth_date: Option<NaiveDate>,
    /// Postal address as JSON (`{"lines": [...], "postal_code": "...", "city": "..."}`), for a
    /// person.
    pub address: Option<String>,
    /// The office that created it (its vault id).
    pub created_by: String,
    /// When, by the vault's clock.
    pub created_at: DateTime<Utc>,
}

/// Inserts a recipient an office created, with its enrolment facts; the caller checked that
/// no duplicate exists, in the same transaction.
pub fn insert_enrolled_recipient(sql: &mut dyn Sql, r: &RecipientRow, e: &Enrolment) -> Result<()> {
    upsert_recipient(sql, r)?;
    sql.exec(
        "UPDATE recipients SET civility = $1, first_names = $2, last_name = $3, \
         birth_date = $4, address = $5, created_by = $6, created_at = $7 WHERE id = $8",
        &[
            e.civility.clone().into(),
            e.first_names.clone().into(),
            e.last_name.clone().into(),
            e.birth_date.map(|d| d.to_string()).into(),
            e.address.clone().into(),
            (&e.created_by).into(),
            ts(e.created_at).into(),
            (&r.id).into(),
        ],
    )?;
    Ok(())
}

/// The enrolment facts of recipient `id`, if an office created it.
pub fn enrolment(sql: &mut dyn Sql, id: &str) -> Result<Option<Enrolment>> {
    let rows = sql.query(
        "SELECT civility, first_names, last_name, birth_date, address, created_by, created_at \
         FROM recipients WHERE id = $1 AND created_by IS NOT NULL",
        &[id.into()],
    )?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(Enrolment {
        civility: r[0].opt_text(),
        first_names: r[1].opt_text(),
        last_name: r[2].opt_text(),
        birth_date: r[3]
            .opt_text()
            .map(|d| d.parse::<NaiveDate>().map_err(storage))
            .transpose()?,
        address: r[4].opt_text(),
        created_by: r[5].text().into(),
        created_at: parse_ts(r[6].text())?,
    }))
}

/// What makes two recipients the same: a SIRET, a NIR, or an e-mail (compared without case)
/// with a birth date.
#[derive(Debug, Clone, Default)]
pub struct SameAs {
    /// SIRET (14 digits).
    pub siret: Option<String>,
    /// NIR (15 characters, normalised).
    pub nir: Option<String>,
    /// E-mail and birth date of a person.
    pub email_and_birth: Option<(String, NaiveDate)>,
}

/// The recipients already in the directory that `same` describes, by name (at most 20).
pub fn duplicates(sql: &mut dyn Sql, same: &SameAs) -> Result<Vec<RecipientRow>> {
    let mut found: Vec<RecipientRow> = Vec::new();
    let mut add = |rows: Vec<Vec<Val>>| {
        for r in rows {
            let row = recipient_row(&r);
            if !found.iter().any(|f| f.id == row.id) {
                found.push(row);
            }
        }
    };
    if let Some(s) = &same.siret {
        add(sql.query(
            &format!("SELECT {RECIPIENT_COLS} FROM recipients WHERE siret = $1 LIMIT 20"),
            &[s.into()],
        )?);
    }
    if let Some(n) = &same.nir {
        add(sql.query(
            &format!("SELECT {RECIPIENT_COLS} FROM recipients WHERE nir = $1 LIMIT 20"),
            &[n.into()],
        )?);
    }
    if let Some((email, birth)) = &same.email_and_birth {
        add(sql.query(
            &format!(
                "SELECT {RECIPIENT_COLS} FROM recipients \
                 WHERE birth_date = $1 AND lower(email) = lower($2) LIMIT 20"
            ),
            &[birth.to_string().into(), email.into()],
        )?);
    }
    found.sort_by(|a, b| {
        name_key(&a.name)
            .cmp(&name_key(&b.name))
            .then(a.id.cmp(&b.id))
    });
    found.truncate(20);
    Ok(found)
}
