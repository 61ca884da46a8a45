//! `POST /v1/maps/shapes/import` `{overlay_id, layer_id, geojson,
//! dry_run?, change_note?}` — shapes from a GeoJSON FeatureCollection (at
//! most 200 features a request). Each feature's rings are rewound by the
//! right-hand rule first (GIS tools often write them clockwise), then it is
//! linked and checked whole like a drawn shape, against the overlay's
//! shapes *and* the features before it. Any problem in any feature is a
//! field error under `geojson.features[i]` and nothing is written, and so
//! is a file that would pass `maps.shapes.max`; `dry_run` checks all and
//! writes nothing. Each shape is then written as `POST …/shapes` writes one
//! (its own transaction: version 1, its places in the limits, the layer's
//! revision, `map.shape.created`). Should one be refused all the same (a
//! shape drawn meanwhile, the limit reached by another writer), the import
//! stops there and says which were written and why it stopped. The
//! watchers hear once.

use crm_http::{Call, Reply};
use crm_inventory::unit::Unit;
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, FieldError};
use crm_maps::map_shape::MapShape;
use crm_maps::overlay::Overlay;
use crm_maps::shape::ShapeKind;
use crm_store::Store;
use serde_json::Value;

use crate::drawing::{self, Draft, Linked};
use crate::geojson::{self, FeatureCollection, FeatureProperties, MAX_FEATURES};
use crate::{lookup, notices, App};

/// The body of `MapShapesImport`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ShapesImport {
    pub overlay_id: Input<EntityId>,
    pub layer_id: Input<EntityId>,
    /// A FeatureCollection of Polygon features in the overlay's pixels.
    pub geojson: Input<FeatureCollection>,
    /// Check every feature, write nothing.
    pub dry_run: Input<bool>,
    #[schemars(length(max = 500))]
    pub change_note: Input<String>,
}

/// What an import did.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Imported {
    pub dry_run: bool,
    /// The features checked.
    pub checked: usize,
    /// The shapes written (none on a dry run), in the features' order.
    pub created: Vec<EntityId>,
    /// Why the import stopped before its last feature (another writer got
    /// there first); `null` when every feature was written.
    pub stopped: Option<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    lookup::enabled(p)?;
    let t = p.tenant_id;
    let asked: ShapesImport = call.json()?;
    let mut f = Fields::new();
    let overlay_id = f.entity_id("overlay_id", asked.overlay_id).flatten();
    f.require("overlay_id", overlay_id.is_some());
    let layer_id = f.entity_id("layer_id", asked.layer_id).flatten();
    f.require("layer_id", layer_id.is_some());
    let collection = f.set("geojson", asked.geojson, "must be a GeoJSON FeatureCollection");
    f.require("geojson", collection.is_some());
    if collection.as_ref().is_some_and(|c| c.features.is_empty() || c.features.len() > MAX_FEATURES) {
        f.error("geojson.features", format!("must hold 1 to {MAX_FEATURES} features"));
    }
    let dry_run = f.bool("dry_run", asked.dry_run).unwrap_or(false);
    let note = drawing::note(&mut f, asked.change_note);
    let (overlay_id, layer_id, collection) = match f.finish((overlay_id, layer_id, collection))? {
        (Some(o), Some(l), Some(c)) => (o, l, c),
        _ => return Err(AppError::invalid("geojson", "is required")),
    };
    let overlay = match lookup::overlay(&app.store, t, overlay_id).await {
        Err(AppError::NotFound) => return Err(AppError::invalid("overlay_id", "no such overlay in this tenant")),
        other => other?,
    };
    let layer = drawing::layer_of(&app.store, t, overlay.id, layer_id).await?;
    // The layers before the shapes: the revisions the writes lock are ones read before what was checked.
    let mut layers: std::collections::HashMap<EntityId, crm_maps::layer::Layer> =
        lookup::layers(&app.store, t, overlay.id).await?.into_iter().map(|l| (l.id, l)).collect();
    let mut others = drawing::drawn(&app.store, &overlay).await?;
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut errors: Vec<FieldError> = Vec::new();
    for (i, feature) in collection.features.into_iter().enumerate() {
        match feature_shape(app, &call, &overlay, &layer, &others, feature.geometry, feature.properties).await {
            Ok(a) => {
                others.push((a.shape.clone(), a.polygon.clone()));
                accepted.push(a);
            }
            Err(AppError::Validation { details, .. }) => errors.extend(details.into_iter().map(|e| geojson::under(i, e))),
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let checked = accepted.len();
    if dry_run {
        return Ok(Reply::ok(Imported { dry_run, checked, created: Vec::new(), stopped: None }));
    }
    let limit = p.entitlements.limit("maps.shapes.max");
    let usage = app.store.get(&crm_store::keys::usage(t)).await?.unwrap_or_default();
    let used = usage.get("maps.shapes_used").and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok()).unwrap_or(0);
    if used + checked as i64 > limit {
        return Err(p.entitlements.limit_reached("maps.shapes.max"));
    }
    if others.len() > crm_maps::map_shape::MAX_PER_OVERLAY {
        let limit = crm_maps::map_shape::MAX_PER_OVERLAY as i64;
        return Err(AppError::LimitReached { key: "maps.overlay.shapes.max".into(), limit });
    }
    let mut layer = layer;
    let mut created = Vec::with_capacity(accepted.len());
    let mut stopped = None;
    for Accepted { shape, linked, unit_layer, .. } in &accepted {
        let event = drawing::created_event(&call, shape)?;
        let also = unit_layer.and_then(|l| layers.get(&l));
        let tx = drawing::lock_also(drawing::create(p, overlay.version, shape, &layer, note.clone(), &event)?, t, also);
        match app.store.transact(tx).await.map_err(|e| lookup::refused(p, e)) {
            Ok(()) => {}
            Err(e) if created.is_empty() => return Err(e),
            Err(e) => {
                stopped = Some(format!("{}: {}", e.code(), e.public_message()));
                break;
            }
        }
        layer.revision += 1;
        if let Some(l) = unit_layer.and_then(|l| layers.get_mut(&l)) {
            l.revision += 1;
        }
        drawing::remember(&app.store, t, linked).await?;
        created.push(shape.id);
    }
    if let Some(last) = created.last().and_then(|id| accepted.iter().find(|a| a.shape.id == *id)).map(|a| &a.shape) {
        let summary = MapShape { label: format!("{} shapes", created.len()), ..last.clone() };
        let tx = notices::shape_changed(&app.store, &overlay, &summary, "imported", p.user_id, crm_store::Tx::new()).await?;
        if !tx.is_empty() {
            app.store.transact(tx).await?;
        }
    }
    Ok(Reply::ok(Imported { dry_run, checked, created, stopped }))
}

/// A feature that passed: its shape, links, geometry, and the other layer
/// (its unit shape's) its write locks.
struct Accepted {
    shape: MapShape,
    linked: Linked,
    polygon: geo::Polygon<f64>,
    unit_layer: Option<EntityId>,
}

/// One feature as a shape of `layer`, checked among `others`.
async fn feature_shape(
    app: &App,
    call: &Call,
    overlay: &Overlay,
    layer: &crm_maps::layer::Layer,
    others: &[(MapShape, geo::Polygon<f64>)],
    geometry: Input<crm_maps::polygon::GeoJsonPolygon>,
    properties: Input<FeatureProperties>,
) -> Result<Accepted, AppError> {
    let p = call.principal()?;
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
        (None, Some(code)) => Some(unit_by_code(&app.store, overlay, code).await?),
        (None, None) => None,
    };
    let component = id("unit_component_id", &props.unit_component_id)?.zip(props.component_type_code.clone());
    let linked = drawing::link(&app.store, p, overlay, kind, unit_id, component).await?;
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
