//! The maps context's read model of units: what a shape's colour, label and
//! search need of its unit (code, type, status), kept by the `map_units`
//! worker from the `unit.*` events' snapshots, and put when a shape links
//! a unit. Each write is conditional on the unit's version, so a
//! redelivered or late event never moves a unit back.
//!
//! Stored as `T#{t}#MAPUNIT#{unit}` / `META`.

use crm_inventory::status::UnitStatus;
use crm_kernel::{EntityId, TenantId};
use crm_store::tx::Condition;
use crm_store::{item, keys, AttributeValue, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

pub const MAPUNIT: &str = "MAPUNIT";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitState {
    pub unit_id: EntityId,
    pub code: String,
    pub unit_type_code: String,
    /// `None`: the unit was deleted.
    pub status: Option<UnitStatus>,
    pub version: u64,
}

impl UnitState {
    pub fn key(t: TenantId, unit: EntityId) -> Key {
        keys::entity(t, MAPUNIT, unit)
    }

    pub fn to_item(&self, t: TenantId) -> Result<Item, StoreError> {
        item::to_item(&Self::key(t, self.unit_id), self)
    }

    /// Written only over an older version of the unit (or none).
    pub fn over_older(&self) -> Condition {
        Condition::new("attribute_not_exists(pk) OR #v < :v").name("#v", "version").value(":v", AttributeValue::N(self.version.to_string()))
    }
}
