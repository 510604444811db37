//! Offices: their rows, the operator's declarations and the certificates bound to them.

use chrono::{DateTime, Utc};
use sceau_proto::Office;

use super::ts;
use crate::error::Result;
use crate::store::sql::{Sql, Val};

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

/// The office with this id.
pub fn office_by_id(sql: &mut dyn Sql, id: &str) -> Result<Option<OfficeRow>> {
    let rows = sql.query(
        "SELECT id, number, name, holder FROM offices WHERE id = $1",
        &[id.into()],
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

/// Declares (or re-declares) an office (a re-declaration keeps the office's place, phone and
/// address).
pub fn declare_office(sql: &mut dyn Sql, d: &DeclaredOffice, now: DateTime<Utc>) -> Result<()> {
    let place = super::office_region(sql, &d.number)?;
    let contact = super::declared_office_contact(sql, &d.number)?;
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
    if let Some(place) = place {
        super::set_office_region(sql, &d.number, Some(&place))?;
    }
    super::set_office_contact(
        sql,
        &d.number,
        contact.phone.as_deref(),
        contact.address.as_deref(),
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
