//! A stored shape (the spec's `map_shapes`) and its versions
//! (`map_shape_versions`).
//!
//! * The shape: in its overlay's partition, `SHAPE#{id}` — one strongly
//!   consistent Query reads every shape a check or a render needs. A shape
//!   linked to a unit is also in the unit's children (`by_parent`), which is
//!   how the `map_units` worker finds the shapes whose frozen
//!   `unit_type_code` follows the unit's.
//! * Its pointer: `T#{t}#SHAPE#{id}` / `META` holds its overlay, so
//!   `/v1/maps/shapes/{id}` finds it.
//! * Its versions: `T#{t}#SHAPE#{id}` / `VERSION#{version:010}`, one for
//!   every geometry it has had, with the change note.

use crm_kernel::{EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

use crate::alignment::Measures;
use crate::overlay::Overlay;
use crate::polygon::GeoJsonPolygon;
use crate::shape::ShapeKind;

pub const SHAPE: &str = "SHAPE";
pub const PREFIX: &str = "SHAPE#";
pub const VERSION_PREFIX: &str = "VERSION#";
/// Most shapes one overlay holds (`maps.shapes.max` counts them across the tenant).
pub const MAX_PER_OVERLAY: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MapShape {
    pub id: EntityId,
    pub overlay_id: EntityId,
    pub layer_id: EntityId,
    #[schemars(with = "String", extend("enum" = ["unit", "component"]))]
    pub kind: ShapeKind,
    pub unit_id: Option<EntityId>,
    pub unit_component_id: Option<EntityId>,
    pub component_type_code: Option<String>,
    /// The unit's type code when it was drawn, kept in step with the unit.
    pub unit_type_code: Option<String>,
    /// The unit's version that `unit_type_code` was copied from.
    #[serde(default)]
    pub unit_version: u64,
    pub geom_geojson: GeoJsonPolygon,
    pub area_px: f64,
    pub perimeter_px: f64,
    /// Once the overlay is aligned: square metres, two decimals.
    pub area_sqm: Option<f64>,
    pub perimeter_m: Option<f64>,
    pub label: String,
    pub is_active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub updated_by_user_id: UserId,
    /// The geometry's version: every geometry change adds one.
    pub version: u64,
    /// Every write of the shape adds one (a label, a link, a re-measure,
    /// the worker's type code): each write is conditional on it, so none
    /// silently undoes another.
    #[serde(default)]
    pub revision: u64,
}

/// One geometry a shape has had.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ShapeVersion {
    pub shape_id: EntityId,
    pub version: u64,
    pub geom_geojson: GeoJsonPolygon,
    pub area_sqm: Option<f64>,
    pub perimeter_m: Option<f64>,
    pub area_px: f64,
    pub perimeter_px: f64,
    pub change_note: Option<String>,
    pub changed_by_user_id: UserId,
    pub changed_at: Timestamp,
}

impl MapShape {
    pub fn key(t: TenantId, overlay: EntityId, id: EntityId) -> Key {
        Key { pk: Overlay::pk(t, overlay), sk: format!("{PREFIX}{id}") }
    }

    /// Where `/v1/maps/shapes/{id}` finds its overlay.
    pub fn pointer(t: TenantId, id: EntityId) -> Key {
        keys::entity(t, SHAPE, id)
    }

    pub fn version_key(t: TenantId, id: EntityId, version: u64) -> Key {
        Key { pk: keys::entity_pk(t, SHAPE, &id.to_string()), sk: format!("{VERSION_PREFIX}{version:010}") }
    }

    pub fn to_item(&self, t: TenantId) -> Result<Item, StoreError> {
        let it = item::to_item(&Self::key(t, self.overlay_id, self.id), self)?;
        Ok(match self.unit_id {
            Some(unit) => it.with_index(Index::ByParent, keys::by_parent_pk(t, "UNIT", &unit.to_string()), format!("{PREFIX}{}", self.id)),
            None => it,
        })
    }

    pub fn pointer_item(&self, t: TenantId) -> Result<Item, StoreError> {
        item::to_item(&Self::pointer(t, self.id), &serde_json::json!({ "overlay_id": self.overlay_id }))
    }

    /// The condition of a write over this shape as read: nothing wrote it since.
    pub fn unchanged(&self) -> Condition {
        Condition::eq("revision", crm_store::AttributeValue::N(self.revision.to_string()))
    }

    /// Its measures, as stored (metres to two decimals).
    pub fn set_measures(&mut self, m: Measures) {
        let m = m.rounded();
        (self.area_px, self.perimeter_px, self.area_sqm, self.perimeter_m) = (m.area_px, m.perimeter_px, m.area_sqm, m.perimeter_m);
    }

    /// The version row of its current geometry.
    pub fn version_row(&self, note: Option<String>) -> ShapeVersion {
        ShapeVersion {
            shape_id: self.id,
            version: self.version,
            geom_geojson: self.geom_geojson.clone(),
            area_sqm: self.area_sqm,
            perimeter_m: self.perimeter_m,
            area_px: self.area_px,
            perimeter_px: self.perimeter_px,
            change_note: note,
            changed_by_user_id: self.updated_by_user_id,
            changed_at: self.updated_at,
        }
    }
}

impl ShapeVersion {
    pub fn to_item(&self, t: TenantId) -> Result<Item, StoreError> {
        item::to_item(&MapShape::version_key(t, self.shape_id, self.version), self)
    }
}
