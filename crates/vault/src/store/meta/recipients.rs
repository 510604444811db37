//! The recipients' directory.

use sceau_proto::{Recipient, RecipientKind};

use crate::error::Result;
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
