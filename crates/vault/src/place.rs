//! The place that governs a service, as the vault knows it (ARCHITECTURE.md, "The place of a
//! service"): the recipient's place, else the office's, else the vault's default — metropolitan
//! France, or Alsace-Moselle for a vault set so (`alsace_moselle` in `vault.toml`, the setting of
//! earlier versions, now only the place assumed when nothing better is known).

use sceau_core::place::{Governing, PlaceSource};
use sceau_core::region::Region;

use crate::error::Result;
use crate::store::meta::{self, DepositRow};
use crate::store::sql::Sql;
use crate::Vault;

/// `place`, with the vault's default place when neither the recipient's nor the office's is
/// known.
pub fn with_default(vault: &Vault, place: Governing) -> Governing {
    if place.source != PlaceSource::Default || !vault.calendar.alsace_moselle {
        return place;
    }
    Governing {
        // Bas-Rhin: the calendar of Alsace-Moselle (the same in 57, 67, 68) in Paris time.
        region: Region::from_code("67").unwrap_or(Region::PARIS),
        source: PlaceSource::Default,
    }
}

/// The governing place of a service to recipient `recipient_id` by the office of vault id
/// `office_id` (the vault's default applied).
pub fn of_service(
    vault: &Vault,
    sql: &mut dyn Sql,
    recipient_id: &str,
    office_id: &str,
) -> Result<Governing> {
    let place = sceau_core::place::governing(
        meta::recipient_region(sql, recipient_id)?.as_ref(),
        meta::office_region_by_id(sql, office_id)?.as_ref(),
    );
    Ok(with_default(vault, place))
}

/// The place a deposit's delivery is decided in: the one recorded at its acceptance, or, for a
/// deposit of an earlier version, the vault's default.
pub fn of_deposit(vault: &Vault, deposit: &DepositRow) -> Region {
    deposit
        .region
        .unwrap_or_else(|| with_default(vault, sceau_core::place::governing(None, None)).region)
}
