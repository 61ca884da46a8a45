//! GeoJSON features as shapes, each linked and checked whole like a drawn
//! shape: what `POST /v1/maps/shapes/import` does to its features and the
//! map jobs worker to a file's ([`crate::import_job`]). A feature's rings
//! are rewound by the right-hand rule first (GIS tools often write them
//! clockwise); its `properties` link it (`unit_id`, or on a building's
//! overlay `unit_code`; a component's `unit_component_id` and
//! `component_type_code`) and label it.

use std::collections::HashMap;

use crm_auth::Principal;
use crm_events::DomainEvent;
use crm_inventory::unit::Unit;
use crm_kernel::fields::Input;
use crm_kernel::{AppError, EntityId};
use crm_maps::layer::Layer;
use crm_maps::map_shape::MapShape;
use crm_maps::overlay::Overlay;
use crm_maps::shape::ShapeKind;
use crm_store::{Store, Tx};
use geo::Polygon;
use serde_json::Value;

use crate::drawing::{self, Draft, Linked};
use crate::geojson::{FeatureProperties, ImportFeature};
use crate::lookup;

/// What an import checks its features against and writes them under: the
/// overlay, the layer its shapes go to, every layer of the overlay (read
/// before the shapes: the revisions its writes lock are ones read before
/// what was checked) and the shapes drawn, with those it accepted since.
pub struct Scene {
    pub overlay: Overlay,
    pub layer: Layer,
    pub layers: HashMap<EntityId, Layer>,
    pub others: Vec<(MapShape, Polygon<f64>)>,
}

impl Scene {
    /// The scene of `overlay`'s layer `layer_id` as it stands (a field error on `layer_id` when it is not one).
    pub async fn read(store: &Store, overlay: Overlay, layer_id: EntityId) -> Result<Self, AppError> {
        let t = overlay.tenant_id;
        let layer = drawing::layer_of(store, t, overlay.id, layer_id).await?;
        let layers = lookup::layers(store, t, overlay.id).await?.into_iter().map(|l| (l.id, l)).collect();
        let others = drawing::drawn(store, &overlay).await?;
        Ok(Self { overlay, layer, layers, others })
    }

    /// `feature` as a shape of the layer by `p`, checked among the shapes drawn and accepted.
    pub async fn check(&self, store: &Store, p: &Principal, feature: ImportFeature) -> Result<Accepted, AppError> {
        if !matches!(feature.kind, Input::Given(_)) {
            return Err(AppError::invalid(crate::geojson::FEATURE_TYPE, "must be Feature"));
        }
        shape_of(store, p, &self.overlay, &self.layer, &self.others, feature.geometry, feature.properties).await
    }

    /// Counts `a` among the shapes the next features are checked against.
    pub fn accept(&mut self, a: &Accepted) {
        self.others.push((a.shape.clone(), a.polygon.clone()));
    }

    /// `a`'s write as `POST …/shapes` writes a shape ([`drawing::create`]),
    /// locking its unit shape's layer too when that is another.
    pub fn write(&self, p: &Principal, a: &Accepted, note: Option<String>, event: &DomainEvent) -> Result<Tx, AppError> {
        let also = a.unit_layer.and_then(|l| self.layers.get(&l));
        let tx = drawing::create(p, self.overlay.version, &a.shape, &self.layer, note, event)?;
        Ok(drawing::lock_also(tx, p.tenant_id, also))
    }

    /// After `a`'s write: it is drawn, and the revisions it took moved.
    pub fn written(&mut self, a: &Accepted) {
        self.accept(a);
        self.took(a);
    }

    /// After the write of `a`, already accepted: the revisions it took moved.
    pub fn took(&mut self, a: &Accepted) {
        self.layer.revision += 1;
        if let Some(l) = a.unit_layer.and_then(|l| self.layers.get_mut(&l)) {
            l.revision += 1;
        }
    }
}

/// A feature that passed: its shape, links, geometry, and the other layer
/// (its unit shape's) its write locks.
pub struct Accepted {
    pub shape: MapShape,
    pub linked: Linked,
    pub polygon: geo::Polygon<f64>,
    pub unit_layer: Option<EntityId>,
}

/// One feature as a shape of `layer`, checked among `others`.
async fn shape_of(
    store: &Store,
    p: &Principal,
    overlay: &Overlay,
    layer: &crm_maps::layer::Layer,
    others: &[(MapShape, geo::Polygon<f64>)],
    geometry: Input<crm_maps::polygon::GeoJsonPolygon>,
    properties: Input<FeatureProperties>,
) -> Result<Accepted, AppError> {
    let geom = match geometry {
        Input::Given(g) => g.reoriented(),
        _ => return Err(AppError::invalid(crm_maps::rules::FIELD, "must be a GeoJSON Polygon")),
    };
    let props = match properties {
        Input::Given(props) => props,
        Input::Absent | Input::Null => FeatureProperties::default(),
        Input::Invalid(_) => return Err(AppError::invalid("kind", "properties must be an object")),
    };
    let kind = match props.kind.as_deref() {
        None => ShapeKind::Unit,
        Some(k) => ShapeKind::parse(k).ok_or_else(|| AppError::invalid("kind", "must be unit or component"))?,
    };
    let id = |field: &str, v: &Option<String>| -> Result<Option<EntityId>, AppError> {
        v.as_deref().map(|s| EntityId::parse(s).map_err(|_| AppError::invalid(field, "must be an id"))).transpose()
    };
    let unit_id = match (id("unit_id", &props.unit_id)?, props.unit_code.as_deref()) {
        (Some(u), _) => Some(u),
        (None, Some(code)) => Some(unit_by_code(store, overlay, code).await?),
        (None, None) => None,
    };
    let component = id("unit_component_id", &props.unit_component_id)?.zip(props.component_type_code.clone());
    let linked = drawing::link(store, p, overlay, kind, unit_id, component).await?;
    let draft = Draft { layer, kind, geom: &geom, linked: &linked, except: None };
    let (checked, unit_layer) = drawing::check_among(overlay, others, draft)?;
    let label = props.label.map(|l| l.trim().chars().take(80).collect::<String>()).filter(|l| !l.is_empty());
    let shape = drawing::new_shape(p.user_id, layer, kind, label.unwrap_or_else(|| linked.label()), &linked, geom, checked.measures);
    Ok(Accepted { shape, linked, polygon: checked.polygon, unit_layer: unit_layer.filter(|l| *l != layer.id) })
}

/// The unit of the overlay's building with `code`.
async fn unit_by_code(store: &Store, overlay: &Overlay, code: &str) -> Result<EntityId, AppError> {
    let building = overlay.building_id.ok_or_else(|| AppError::invalid("unit_code", "a project's overlay links units by unit_id"))?;
    let marker: Option<Value> = store.get_as(&Unit::code_marker(overlay.tenant_id, building, code.trim())).await?;
    marker
        .and_then(|m| m.get("unit_id").and_then(Value::as_str).and_then(|s| EntityId::parse(s).ok()))
        .ok_or_else(|| AppError::invalid("unit_code", "no unit of the overlay's building has this code"))
}
