//! The places of a service (issue 19): a recipient's (from a person's postal code, or set by
//! the operator), an office's (set by the operator on its declaration), and the governing place
//! a deposit was accepted under (kept so that its delivery deadline and letter date use the same
//! place whatever changes later). Each is a département or collectivité code
//! ([`sceau_core::region::Region`]); no value means unknown.

use sceau_core::region::Region;

use super::schema::add_column;
use crate::error::{storage, Result};
use crate::store::sql::Sql;

/// Migration step 7: `recipients.region`, `declared_offices.region`, `deposits.region`
/// (nullable: earlier rows have no place; the rule then falls back, see
/// [`sceau_core::place::governing`]).
pub(super) fn migrate_places(sql: &mut dyn Sql) -> Result<()> {
    add_column(sql, "recipients", "region", "TEXT")?;
    add_column(sql, "declared_offices", "region", "TEXT")?;
    add_column(sql, "deposits", "region", "TEXT")
}

fn region_of(rows: &[Vec<crate::store::sql::Val>]) -> Result<Option<Region>> {
    rows.first()
        .and_then(|r| r[0].opt_text())
        .map(|code| {
            Region::from_code(&code).map_err(|_| storage("a stored place is not a known region"))
        })
        .transpose()
}

/// The place of recipient `id`, when known.
pub fn recipient_region(sql: &mut dyn Sql, id: &str) -> Result<Option<Region>> {
    region_of(&sql.query("SELECT region FROM recipients WHERE id = $1", &[id.into()])?)
}

/// The card of `row` sent to offices, with the recipient's place.
pub fn placed_card(sql: &mut dyn Sql, row: &super::RecipientRow) -> Result<sceau_proto::Recipient> {
    Ok(sceau_proto::Recipient {
        region: recipient_region(sql, &row.id)?,
        ..row.card()
    })
}

/// Sets (or forgets, with `None`) the place of recipient `id`.
pub fn set_recipient_region(sql: &mut dyn Sql, id: &str, region: Option<&Region>) -> Result<()> {
    sql.exec(
        "UPDATE recipients SET region = $1 WHERE id = $2",
        &[region.map(|r| r.code().to_owned()).into(), id.into()],
    )?;
    Ok(())
}

/// The place of the office numbered `number`, as the operator declared it.
pub fn office_region(sql: &mut dyn Sql, number: &str) -> Result<Option<Region>> {
    region_of(&sql.query(
        "SELECT region FROM declared_offices WHERE number = $1",
        &[number.into()],
    )?)
}

/// The place of the office whose vault id is `office_id`.
pub fn office_region_by_id(sql: &mut dyn Sql, office_id: &str) -> Result<Option<Region>> {
    region_of(&sql.query(
        "SELECT d.region FROM declared_offices d JOIN offices o ON o.number = d.number \
         WHERE o.id = $1",
        &[office_id.into()],
    )?)
}

/// Sets (or forgets) the place of the declared office numbered `number`; `false` if no office
/// of that number is declared.
pub fn set_office_region(sql: &mut dyn Sql, number: &str, region: Option<&Region>) -> Result<bool> {
    let n = sql.exec(
        "UPDATE declared_offices SET region = $1 WHERE number = $2",
        &[region.map(|r| r.code().to_owned()).into(), number.into()],
    )?;
    Ok(n > 0)
}
