//! A layer of an overlay (the spec's `map_layers`): `site`, `floor` (with
//! its floor) or `custom`, drawn in `order_index` order, shown or hidden,
//! at an opacity. Shapes belong to one layer; no two shapes of one kind
//! overlap in it.
//!
//! Stored in the overlay's partition, `LAYER#{id}`. Its `revision` counts
//! the geometry written in it: every shape write in the layer is
//! conditional on the revision it was checked against, so two concurrent
//! writes cannot both pass the overlap rule.

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, TenantId, Timestamp};
use crm_store::{item, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

use crate::overlay::Overlay;
use crate::shape::LayerKind;

pub const PREFIX: &str = "LAYER#";
/// Most layers one overlay has.
pub const MAX_PER_OVERLAY: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Layer {
    pub id: EntityId,
    pub overlay_id: EntityId,
    pub name: String,
    #[schemars(with = "String", extend("enum" = ["site", "floor", "custom"]))]
    pub kind: LayerKind,
    pub floor_index: Option<i32>,
    pub order_index: i32,
    pub is_visible: bool,
    /// 0.0 to 1.0, two decimals.
    pub opacity: f64,
    /// Geometry writes in the layer so far.
    pub revision: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// The body of `POST /v1/maps/overlays/{id}/layers` and `PATCH …/layers/{layerId}`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LayerChanges {
    /// Required on create.
    #[schemars(length(min = 1, max = 80))]
    pub name: Input<String>,
    /// Required on create: `site`, `floor` or `custom`.
    #[schemars(extend("enum" = ["site", "floor", "custom"]))]
    pub kind: Input<String>,
    /// A floor layer's floor (-10 to 300).
    #[schemars(range(min = -10, max = 300))]
    pub floor_index: Input<i64>,
    #[schemars(range(min = 0, max = 1000))]
    pub order_index: Input<i64>,
    pub is_visible: Input<bool>,
    #[schemars(range(min = 0, max = 1))]
    pub opacity: Input<f64>,
}

impl Layer {
    pub fn key(t: TenantId, overlay: EntityId, id: EntityId) -> Key {
        Key { pk: Overlay::pk(t, overlay), sk: format!("{PREFIX}{id}") }
    }

    pub fn to_item(&self, t: TenantId) -> Result<Item, StoreError> {
        item::to_item(&Self::key(t, self.overlay_id, self.id), self)
    }

    pub fn new(overlay_id: EntityId, order: i32, c: LayerChanges, now: Timestamp) -> Result<Self, AppError> {
        let blank = Layer {
            id: EntityId::new(),
            overlay_id,
            name: String::new(),
            kind: LayerKind::Custom,
            floor_index: None,
            order_index: order,
            is_visible: true,
            opacity: 1.0,
            revision: 0,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        let kind_given = c.kind.is_present();
        let next = blank.apply(c, now)?;
        if !kind_given {
            return Err(AppError::invalid("kind", "is required"));
        }
        Ok(next)
    }

    pub fn apply(&self, c: LayerChanges, now: Timestamp) -> Result<Self, AppError> {
        let mut f = Fields::new();
        let mut next = self.clone();
        if let Some(v) = f.text("name", c.name, 80) {
            match v {
                Some(v) => next.name = v,
                None => f.error("name", "must not be empty"),
            }
        }
        if let Some(k) = f.one_of("kind", c.kind, LayerKind::ALL).and_then(|k| LayerKind::parse(&k)) {
            next.kind = k;
        }
        match c.floor_index {
            Input::Absent => {}
            Input::Null => next.floor_index = None,
            other => next.floor_index = f.int("floor_index", other, -10..=300).map(|v| v as i32),
        }
        if let Some(v) = match c.order_index {
            Input::Absent => None,
            other => f.int("order_index", other, 0..=1000),
        } {
            next.order_index = v as i32;
        }
        if let Some(v) = f.bool("is_visible", c.is_visible) {
            next.is_visible = v;
        }
        match f.number("opacity", c.opacity, 0.0..=1.0) {
            Some(Some(v)) => next.opacity = (v * 100.0).round() / 100.0,
            Some(None) => f.error("opacity", "must be a number from 0 to 1"),
            None => {}
        }
        f.require("name", !next.name.is_empty());
        if next.kind == LayerKind::Floor && next.floor_index.is_none() {
            f.require_because("floor_index", false, "a floor layer names its floor");
        }
        let next = f.finish(next)?;
        Ok(Layer { updated_at: now, version: self.version + 1, ..next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_floor_layer_names_its_floor_and_opacity_stays_in_range() {
        let c = |v| serde_json::from_value::<LayerChanges>(v).unwrap();
        let now = Timestamp::now();
        let site = Layer::new(EntityId::new(), 0, c(json!({"name": "Site", "kind": "site"})), now).unwrap();
        assert_eq!((site.is_visible, site.opacity, site.version), (true, 1.0, 1));
        let fields = |e: AppError| e.details().iter().map(|d| d.field.clone()).collect::<Vec<_>>();
        assert_eq!(fields(Layer::new(EntityId::new(), 0, c(json!({"name": "F4", "kind": "floor"})), now).unwrap_err()), ["floor_index"]);
        assert_eq!(fields(site.apply(c(json!({"opacity": 1.5, "kind": "roof"})), now).unwrap_err()), ["kind", "opacity"]);
        assert_eq!(fields(Layer::new(EntityId::new(), 0, c(json!({"name": "x"})), now).unwrap_err()), ["kind"]);
        assert_eq!(site.apply(c(json!({"opacity": 0.456, "is_visible": false})), now).unwrap().opacity, 0.46);
    }
}
