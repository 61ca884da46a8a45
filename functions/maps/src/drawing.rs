//! Drawing a shape: its geometry (GeoJSON or a rectangle), its links (a
//! unit; a component with its `component_type_code`) resolved through the
//! inventory's records, the whole check against its overlay, layer and
//! unit ([`crm_maps::shape::check`]), and the transaction that writes it
//! with a version, conditional on the layer's revision it was checked at.

use crm_auth::Principal;
use crm_events::audit::AuditExt;
use crm_events::DomainEvent;
use crm_inventory::component::Component;
use crm_inventory::unit::Unit;
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_maps::alignment::Measures;
use crm_maps::layer::Layer;
use crm_maps::map_shape::{self, MapShape};
use crm_maps::overlay::{Overlay, OVERLAY};
use crm_maps::polygon::GeoJsonPolygon;
use crm_maps::rules::field_errors;
use crm_maps::shape::{self, Context, ShapeKind};
use crm_maps::unit_state::UnitState;
use crm_store::tx::Condition;
use crm_store::{keys, AttributeValue, Store, StoreError, Tx};
use geo::Polygon;
use serde::Deserialize;

use crate::lookup;

/// A rectangle drawn with the rectangle tool, in the overlay's pixels.
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rectangle {
    pub x: f64,
    pub y: f64,
    #[schemars(range(min = 0))]
    pub width: f64,
    #[schemars(range(min = 0))]
    pub height: f64,
}

impl Rectangle {
    /// Its polygon, wound counter-clockwise as GeoJSON's right-hand rule wants.
    pub fn polygon(&self) -> GeoJsonPolygon {
        let (x0, y0, x1, y1) = (self.x, self.y, self.x + self.width, self.y + self.height);
        GeoJsonPolygon {
            kind: crm_maps::polygon::PolygonType::Polygon,
            coordinates: vec![vec![vec![x0, y0], vec![x1, y0], vec![x1, y1], vec![x0, y1], vec![x0, y0]]],
            bbox: None,
        }
    }
}

/// The geometry a body gives: `geom_geojson` or `rectangle`, exactly one
/// when `required`.
pub fn geometry(f: &mut Fields, geom: Input<GeoJsonPolygon>, rect: Input<Rectangle>, required: bool) -> Option<GeoJsonPolygon> {
    let message = "must be a GeoJSON Polygon {type: \"Polygon\", coordinates: [[[x, y], …]]}";
    let geom = f.set(crm_maps::rules::FIELD, geom, message);
    let rect = f.set("rectangle", rect, "must be {x, y, width, height}");
    match (geom, rect) {
        (Some(_), Some(_)) => {
            f.error("rectangle", "give geom_geojson or rectangle, not both");
            None
        }
        (Some(g), None) => Some(g),
        (None, Some(r)) => {
            let mut fine = true;
            for (side, v) in [("rectangle.width", r.width), ("rectangle.height", r.height)] {
                if !(v.is_finite() && v > 0.0) {
                    f.error(side, "must be a number above 0");
                    fine = false;
                }
            }
            fine.then(|| r.polygon())
        }
        (None, None) => {
            if required && !f.failed(crm_maps::rules::FIELD) && !f.failed("rectangle") {
                f.error(crm_maps::rules::FIELD, "is required (or give a rectangle)");
            }
            None
        }
    }
}

/// What a shape links, resolved and checked against the overlay.
#[derive(Debug, Clone)]
pub struct Linked {
    pub unit: Unit,
    pub component: Option<Component>,
}

impl Linked {
    /// The label a shape takes when none is given.
    pub fn label(&self) -> String {
        match &self.component {
            Some(c) => c.name.clone().unwrap_or_else(|| format!("{} {}", self.unit.fields.code, c.component_type_code)),
            None => self.unit.fields.code.clone(),
        }
    }

    /// The read model's row for the unit, as read now.
    pub fn unit_state(&self) -> UnitState {
        UnitState {
            unit_id: self.unit.id,
            code: self.unit.fields.code.clone(),
            unit_type_code: self.unit.fields.unit_type_code.clone(),
            status: Some(self.unit.status),
            version: self.unit.version,
        }
    }

    /// Stamps the links on `shape` (the unit's type code frozen as drawn).
    pub fn stamp(&self, shape: &mut MapShape) {
        shape.unit_id = Some(self.unit.id);
        shape.unit_type_code = Some(self.unit.fields.unit_type_code.clone());
        shape.unit_version = self.unit.version;
        shape.unit_component_id = self.component.as_ref().map(|c| c.id);
        shape.component_type_code = self.component.as_ref().map(|c| c.component_type_code.clone());
    }
}

/// The unit (and for a component shape, its component) a shape links:
/// records of the tenant, in the overlay's project and building.
pub async fn link(
    store: &Store,
    p: &Principal,
    overlay: &Overlay,
    kind: ShapeKind,
    unit_id: Option<EntityId>,
    component: Option<(EntityId, String)>,
) -> Result<Linked, AppError> {
    let t = p.tenant_id;
    if kind == ShapeKind::Component {
        p.entitlements.require_feature("maps.componentShapes")?;
    }
    let unit_id = unit_id.ok_or_else(|| AppError::invalid("unit_id", "is required: a shape links a unit"))?;
    let unit: Unit =
        store.get_as(&Unit::key(t, unit_id)).await?.ok_or_else(|| AppError::invalid("unit_id", "no such unit in this tenant"))?;
    if overlay.building_id.is_some_and(|b| b != unit.building_id) {
        return Err(AppError::invalid("unit_id", "the unit is not in the overlay's building"));
    }
    if overlay.project_id.is_some_and(|p| p != unit.project_id) {
        return Err(AppError::invalid("unit_id", "the unit is not in the overlay's project"));
    }
    let component = match (kind, component) {
        (ShapeKind::Unit, None) => None,
        (ShapeKind::Unit, Some(_)) => return Err(AppError::invalid("unit_component_id", "a unit shape links no component")),
        (ShapeKind::Component, None) => {
            return Err(AppError::invalid("unit_component_id", "is required: a component shape links a component and its type"))
        }
        (ShapeKind::Component, Some((id, code))) => {
            let c: Component = store
                .get_as(&Component::key(t, unit.id, id))
                .await?
                .ok_or_else(|| AppError::invalid("unit_component_id", "no such component of the unit"))?;
            if c.component_type_code != code {
                return Err(AppError::invalid(
                    "component_type_code",
                    format!("the component is a {}, not a {code}", c.component_type_code),
                ));
            }
            Some(c)
        }
    };
    Ok(Linked { unit, component })
}

/// The links `shape` has now, read again (a unit or component deleted
/// since is a field error on its id).
pub async fn links_of(store: &Store, p: &Principal, overlay: &Overlay, shape: &MapShape) -> Result<Linked, AppError> {
    let component = shape.unit_component_id.zip(shape.component_type_code.clone());
    link(store, p, overlay, shape.kind, shape.unit_id, component).await
}

/// A shape about to be written, as [`check`] takes it.
#[derive(Debug, Clone, Copy)]
pub struct Draft<'a> {
    pub layer: &'a Layer,
    pub kind: ShapeKind,
    pub geom: &'a GeoJsonPolygon,
    pub linked: &'a Linked,
    /// The shape being changed (not its own neighbour).
    pub except: Option<EntityId>,
}

/// `draft` checked on `overlay` among its other shapes. Every broken rule
/// is a field error, all at once.
pub async fn check(store: &Store, overlay: &Overlay, draft: Draft<'_>) -> Result<Placed, AppError> {
    // The layers first: a revision read before the shapes is one no write since has moved unseen.
    let layers = lookup::layers(store, overlay.tenant_id, overlay.id).await?;
    let others = drawn(store, overlay).await?;
    let (checked, unit_layer) = check_among(overlay, &others, draft)?;
    let also = unit_layer.filter(|l| *l != draft.layer.id).and_then(|l| layers.into_iter().find(|x| x.id == l));
    Ok(Placed { checked, also })
}

/// A shape that passed [`check`], and the other layer its write must lock:
/// a component's unit shape's, when it lies in another layer (a delete or a
/// redraw of that shape takes that layer's revision).
#[derive(Debug, Clone)]
pub struct Placed {
    pub checked: shape::Checked,
    pub also: Option<Layer>,
}

/// The overlay's active shapes with their geometry: what [`check_among`] checks against.
pub async fn drawn(store: &Store, overlay: &Overlay) -> Result<Vec<(MapShape, Polygon<f64>)>, AppError> {
    Ok(lookup::shapes(store, overlay.tenant_id, overlay.id)
        .await?
        .into_iter()
        .filter(|s| s.is_active)
        .filter_map(|s| s.geom_geojson.parse().ok().map(|g| (s, g)))
        .collect())
}

/// [`check`] among `others` as read (an import adds each shape it accepts):
/// the shape, and for a component the layer of the unit shape it lies in.
pub fn check_among(
    overlay: &Overlay,
    others: &[(MapShape, Polygon<f64>)],
    draft: Draft<'_>,
) -> Result<(shape::Checked, Option<EntityId>), AppError> {
    let Draft { layer, kind, geom, linked, except } = draft;
    let (width_px, height_px) = lookup::size_of(overlay)?;
    let others: Vec<&(MapShape, Polygon<f64>)> = others.iter().filter(|(s, _)| Some(s.id) != except).collect();
    let neighbours = others.iter().filter(|(s, _)| s.layer_id == layer.id && s.kind == kind).map(|(s, g)| (s.id.to_string(), g)).collect();
    let unit_found = Some(linked).filter(|_| kind == ShapeKind::Component).and_then(|l| {
        let theirs = |s: &&&(MapShape, Polygon<f64>)| s.0.kind == ShapeKind::Unit && s.0.unit_id == Some(l.unit.id);
        others.iter().filter(theirs).min_by_key(|(s, _)| s.layer_id != layer.id)
    });
    let unit_layer = unit_found.map(|(s, _)| s.layer_id);
    let unit_shape = unit_found.map(|(s, g)| (s.id.to_string(), g));
    let dimensions = linked.component.as_ref().map(|c| (c.length_m, c.width_m)).unwrap_or_default();
    let components = match kind {
        ShapeKind::Unit => others
            .iter()
            .filter(|(s, _)| s.kind == ShapeKind::Component && s.unit_id == Some(linked.unit.id))
            .map(|(s, g)| (s.id.to_string(), g))
            .collect(),
        _ => Vec::new(),
    };
    let ctx = Context { width_px, height_px, alignment: overlay.alignment.as_ref(), neighbours, unit_shape, dimensions, components };
    let checked = shape::check(kind, geom, &ctx).map_err(|v| AppError::invalid_fields(field_errors(&v)))?;
    Ok((checked, unit_layer))
}

/// Also takes the revision of `also` (the unit shape's layer of a component).
pub fn lock_also(tx: Tx, t: TenantId, also: Option<&Layer>) -> Tx {
    match also {
        Some(l) => {
            let seen = Condition::eq("revision", AttributeValue::N(l.revision.to_string()));
            tx.add("unit_layer_revision", &Layer::key(t, l.overlay_id, l.id), &[("revision", 1)], seen)
        }
        None => tx,
    }
}

/// Whether `shape` is the only unit shape of its unit among `all` while
/// component shapes of that unit remain: they must lie inside a unit shape,
/// so it may not go (deleted, or linked to another unit).
pub fn holds_components(all: &[MapShape], shape: &MapShape) -> bool {
    let of_unit =
        |k: ShapeKind| all.iter().filter(move |s| s.is_active && s.kind == k && s.unit_id == shape.unit_id && s.id != shape.id).count();
    shape.kind == ShapeKind::Unit && of_unit(ShapeKind::Component) > 0 && of_unit(ShapeKind::Unit) == 0
}

/// The layer `id` of the overlay, as a field error on `layer_id` when it is not one.
pub async fn layer_of(store: &Store, t: TenantId, overlay: EntityId, id: EntityId) -> Result<Layer, AppError> {
    match lookup::layer(store, t, overlay, id).await {
        Err(AppError::NotFound) => Err(AppError::invalid("layer_id", "no such layer of this overlay")),
        other => other,
    }
}

/// A new shape of `kind` in `layer` (version 1), linking `linked`, with its checked geometry.
pub fn new_shape(
    by: UserId,
    layer: &Layer,
    kind: ShapeKind,
    label: String,
    linked: &Linked,
    geom: GeoJsonPolygon,
    measures: Measures,
) -> MapShape {
    let now = Timestamp::now();
    let mut shape = MapShape {
        id: EntityId::new(),
        overlay_id: layer.overlay_id,
        layer_id: layer.id,
        kind,
        unit_id: None,
        unit_component_id: None,
        component_type_code: None,
        unit_type_code: None,
        unit_version: 0,
        geom_geojson: geom.clone(),
        area_px: 0.0,
        perimeter_px: 0.0,
        area_sqm: None,
        perimeter_m: None,
        label,
        is_active: true,
        created_at: now,
        updated_at: now,
        updated_by_user_id: by,
        version: 1,
        revision: 1,
    };
    linked.stamp(&mut shape);
    with_geometry(shape, geom, measures)
}

/// `map.shape.created` of `shape`, caused by the call's user.
pub fn created_event(call: &crm_http::Call, shape: &MapShape) -> Result<DomainEvent, AppError> {
    lookup::event(call, crm_events::types::MAP_SHAPE_CREATED, "overlay", shape.overlay_id, created_data(shape))
}

/// `map.shape.created` of `shape`, imported by the job's creator (a map shapes import).
pub fn imported_event(job: &crm_jobs::Job, shape: &MapShape) -> DomainEvent {
    let subject = crm_events::Subject { kind: "overlay".into(), id: shape.overlay_id.to_string() };
    let by = crm_events::Actor::user(job.created_by);
    DomainEvent::new(job.tenant_id, crm_events::types::MAP_SHAPE_CREATED, by, subject, created_data(shape))
}

fn created_data(shape: &MapShape) -> serde_json::Value {
    serde_json::json!({
        "shape_id": shape.id, "layer_id": shape.layer_id, "kind": shape.kind, "unit_id": shape.unit_id,
        "unit_component_id": shape.unit_component_id, "label": shape.label, "version": shape.version, "area_sqm": shape.area_sqm,
    })
}

/// `shape` with its checked geometry and measures.
pub fn with_geometry(mut shape: MapShape, geom: GeoJsonPolygon, measures: Measures) -> MapShape {
    shape.geom_geojson = GeoJsonPolygon { bbox: None, ..geom };
    shape.set_measures(measures);
    shape
}

/// Takes the layer's next revision in `tx`: refused (label
/// `layer_revision`) when a shape of the layer was written since `layer`
/// was read, so the overlap check it passed still holds.
pub fn take_revision(tx: Tx, t: TenantId, layer: &Layer) -> Tx {
    let seen = Condition::eq("revision", AttributeValue::N(layer.revision.to_string()));
    tx.add("layer_revision", &Layer::key(t, layer.overlay_id, layer.id), &[("revision", 1)], seen)
}

/// A new shape: the shape, its pointer, its first version, a place in the
/// overlay and in `maps.shapes.max`, the layer's revision, the event; the
/// overlay still at the version it was checked under (its alignment).
pub fn create(
    p: &Principal,
    overlay_version: u64,
    shape: &MapShape,
    layer: &Layer,
    note: Option<String>,
    event: &DomainEvent,
) -> Result<Tx, AppError> {
    let t = p.tenant_id;
    let tally = keys::children_tally(t, OVERLAY, shape.overlay_id);
    let tx = Tx::new()
        .put_new("shape", shape.to_item(t)?)
        .put_new("pointer", shape.pointer_item(t)?)
        .put_new("version", shape.version_row(note).to_item(t)?)
        .check("overlay_seen", &Overlay::key(t, shape.overlay_id), Condition::version_is(overlay_version));
    let tx =
        crm_store::usage::take_at(take_revision(tx, t, layer), "shapes_max", &tally, "shapes", map_shape::MAX_PER_OVERLAY as i64, None);
    Ok(crm_records::write::take_quota(tx, p, "maps.shapes.max").emit_audited(event))
}

/// A changed geometry: the shape at its next version (and revision), the
/// version row, the layer's revision taken (of the layer it is checked in),
/// the overlay still at the version it was checked under.
pub fn save(
    t: TenantId,
    overlay: &Overlay,
    current: &MapShape,
    next: &MapShape,
    layer: &Layer,
    note: Option<String>,
    event: &DomainEvent,
) -> Result<Tx, AppError> {
    debug_assert_eq!(next.revision, current.revision + 1, "the caller moves the shape's revision");
    let tx = Tx::new()
        .check("overlay_seen", &Overlay::key(t, overlay.id), Condition::version_is(overlay.version))
        .put_if("shape", next.to_item(t)?, current.unchanged())
        .put_new("version", next.version_row(note).to_item(t)?);
    Ok(take_revision(tx, t, layer).emit_audited(event))
}

/// Puts the read model's row for a unit a shape just linked, unless the
/// worker already holds a newer version of it.
pub async fn remember(store: &Store, t: TenantId, linked: &Linked) -> Result<(), AppError> {
    let row = linked.unit_state();
    match store.transact(Tx::new().put_if("unit_state", row.to_item(t)?, row.over_older())).await {
        Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A change note: at most 500 characters.
pub fn note(f: &mut Fields, input: Input<String>) -> Option<String> {
    f.prose("change_note", input, 500).flatten()
}
