//! A unit's component (the spec's `unit_components`): a room, a bathroom,
//! a balcony, typed by a code of `component_type_codes`, with its own
//! dimensions. When `length_m` and `width_m` are given without `area_sqm`,
//! the area is their product.
//!
//! Stored in the unit's collection, `T#{t}#UNIT#{unit}` / `COMPONENT#{id}`.

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, TenantId, Timestamp};
use crm_store::{item, keys, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

use crate::two_decimals;

/// Most components one unit has.
pub const MAX_PER_UNIT: usize = 50;
pub const PREFIX: &str = "COMPONENT#";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Component {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub unit_id: EntityId,
    /// A code of `component_type_codes` (`ROOM`, `BALCONY`).
    pub component_type_code: String,
    pub name: Option<String>,
    pub length_m: Option<f64>,
    pub width_m: Option<f64>,
    pub height_m: Option<f64>,
    pub area_sqm: Option<f64>,
    pub notes: Option<String>,
    pub sort_order: i32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// The body of `POST /v1/units/{id}/components` and `PATCH …/{componentId}`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ComponentChanges {
    /// Required: an active code of `component_type_codes`.
    #[schemars(length(min = 2, max = 64))]
    pub component_type_code: Input<String>,
    #[schemars(length(max = 100))]
    pub name: Input<String>,
    #[schemars(range(min = 0, max = 10_000))]
    pub length_m: Input<f64>,
    #[schemars(range(min = 0, max = 10_000))]
    pub width_m: Input<f64>,
    #[schemars(range(min = 0, max = 10_000))]
    pub height_m: Input<f64>,
    #[schemars(range(min = 0, max = 1_000_000))]
    pub area_sqm: Input<f64>,
    #[schemars(length(max = 1000))]
    pub notes: Input<String>,
    #[schemars(range(min = 0, max = 1000))]
    pub sort_order: Input<i64>,
}

impl Component {
    pub fn key(t: TenantId, unit: EntityId, id: EntityId) -> Key {
        Key { pk: keys::entity_pk(t, crate::unit::UNIT, &unit.to_string()), sk: format!("{PREFIX}{id}") }
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        item::to_item(&Self::key(self.tenant_id, self.unit_id, self.id), self)
    }

    pub fn new(t: TenantId, unit_id: EntityId, c: ComponentChanges, now: Timestamp) -> Result<Self, AppError> {
        let blank = Component {
            id: EntityId::new(),
            tenant_id: t,
            unit_id,
            component_type_code: String::new(),
            name: None,
            length_m: None,
            width_m: None,
            height_m: None,
            area_sqm: None,
            notes: None,
            sort_order: 0,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        blank.apply(c, now)
    }

    /// This component changed by `c` (the type's code checked by the caller).
    pub fn apply(&self, c: ComponentChanges, now: Timestamp) -> Result<Self, AppError> {
        let mut f = Fields::new();
        let mut next = self.clone();
        if let Some(v) = f.set("component_type_code", c.component_type_code, "must be a code of component_type_codes") {
            next.component_type_code = v.trim().to_string();
        }
        if let Some(v) = f.text("name", c.name, 100) {
            next.name = v;
        }
        let area_given = c.area_sqm.is_present();
        for (key, input, max, into) in [
            ("length_m", c.length_m, 10_000.0, &mut next.length_m),
            ("width_m", c.width_m, 10_000.0, &mut next.width_m),
            ("height_m", c.height_m, 10_000.0, &mut next.height_m),
            ("area_sqm", c.area_sqm, 1_000_000.0, &mut next.area_sqm),
        ] {
            if let Some(v) = f.number(key, input, 0.0..=max) {
                *into = v.map(two_decimals);
            }
        }
        if !area_given && next.area_sqm.is_none() {
            next.area_sqm = next.length_m.zip(next.width_m).map(|(l, w)| two_decimals(l * w));
        }
        if let Some(v) = f.prose("notes", c.notes, 1000) {
            next.notes = v;
        }
        if let Some(n) = match c.sort_order {
            Input::Absent => None,
            other => f.int("sort_order", other, 0..=1000),
        } {
            next.sort_order = n as i32;
        }
        f.require("component_type_code", !next.component_type_code.is_empty());
        let next = f.finish(next)?;
        Ok(Component { updated_at: now, version: self.version + 1, ..next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_component_carries_its_coded_type_and_dimensions() {
        let c = |v| serde_json::from_value::<ComponentChanges>(v).unwrap();
        let now = Timestamp::now();
        let room = Component::new(
            TenantId::new(),
            EntityId::new(),
            c(json!({"component_type_code": "ROOM", "length_m": 4.2, "width_m": 3.55})),
            now,
        )
        .unwrap();
        assert_eq!(room.area_sqm, Some(14.91));
        let bad = Component::new(TenantId::new(), EntityId::new(), c(json!({"length_m": -1, "sort_order": 5000})), now).unwrap_err();
        let fields: Vec<&str> = bad.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["length_m", "sort_order", "component_type_code"]);
        let given = room.apply(c(json!({"area_sqm": 15})), now).unwrap();
        assert_eq!((given.area_sqm, given.version), (Some(15.0), 2));
    }
}
