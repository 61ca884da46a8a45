//! `POST /v1/maps/overlays/{id}/shapes` `{layer_id, kind, geom_geojson |
//! rectangle, unit_id, unit_component_id?, component_type_code?, label?,
//! change_note?}` — a shape drawn on a ready overlay. A `unit` shape links
//! a unit of the overlay's project (or building); a `component` shape
//! (`maps.componentShapes`) links one of that unit's components *and* its
//! `component_type_code`. The unit's `unit_type_code` is frozen on it. The
//! geometry is checked whole ([`crate::drawing::check`]: rings, bounds,
//! overlap in the layer, a component inside its unit, its area against
//! the component's dimensions) and every broken rule is a field error.
//! Version 1 is written with it; `maps.shapes.max` and the overlay's 2 000
//! are counted in the transaction. `map.shape.created`.

use crm_http::{Call, Reply};
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId};
use crm_maps::polygon::GeoJsonPolygon;
use crm_maps::shape::ShapeKind;

use crate::drawing::{self, Draft, Rectangle};
use crate::{lookup, notices, status, App};

/// The body of `MapShapesCreate`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewShape {
    pub layer_id: Input<EntityId>,
    #[schemars(extend("enum" = ["unit", "component"]))]
    pub kind: Input<String>,
    /// A GeoJSON Polygon in the overlay's pixels (or give `rectangle`).
    pub geom_geojson: Input<GeoJsonPolygon>,
    pub rectangle: Input<Rectangle>,
    pub unit_id: Input<EntityId>,
    /// A component shape: one of the unit's components…
    pub unit_component_id: Input<EntityId>,
    /// …and its type's code.
    #[schemars(length(min = 1, max = 64))]
    pub component_type_code: Input<String>,
    /// Default: the unit's code (a component's name).
    #[schemars(length(max = 80))]
    pub label: Input<String>,
    #[schemars(length(max = 500))]
    pub change_note: Input<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let overlay = lookup::overlay_of(&app.store, &call).await?;
    let asked: NewShape = call.json()?;
    let mut f = Fields::new();
    let layer_id = f.entity_id("layer_id", asked.layer_id).flatten();
    f.require("layer_id", layer_id.is_some());
    let kind = f.one_of("kind", asked.kind, ShapeKind::ALL).and_then(|k| ShapeKind::parse(&k));
    f.require("kind", kind.is_some());
    let geom = drawing::geometry(&mut f, asked.geom_geojson, asked.rectangle, true);
    let unit_id = f.entity_id("unit_id", asked.unit_id).flatten();
    let component_id = f.entity_id("unit_component_id", asked.unit_component_id).flatten();
    let code = f.text("component_type_code", asked.component_type_code, 64).flatten();
    if component_id.is_some() != code.is_some() && !f.failed("component_type_code") {
        f.error(
            if code.is_none() { "component_type_code" } else { "unit_component_id" },
            "a component shape links a component and its type code, both",
        );
    }
    let label = f.text("label", asked.label, 80).flatten();
    let note = drawing::note(&mut f, asked.change_note);
    let (layer_id, kind, geom) = f.finish((layer_id, kind, geom))?;
    let (Some(layer_id), Some(kind), Some(geom)) = (layer_id, kind, geom) else { return Err(AppError::invalid("kind", "is required")) };
    let layer = drawing::layer_of(&app.store, t, overlay.id, layer_id).await?;
    let linked = drawing::link(&app.store, p, &overlay, kind, unit_id, component_id.zip(code)).await?;
    let placed = drawing::check(&app.store, &overlay, Draft { layer: &layer, kind, geom: &geom, linked: &linked, except: None }).await?;
    let shape =
        drawing::new_shape(p.user_id, &layer, kind, label.unwrap_or_else(|| linked.label()), &linked, geom, placed.checked.measures);
    let event = drawing::created_event(&call, &shape)?;
    let tx = notices::shape_changed(
        &app.store,
        &overlay,
        &shape,
        "drew",
        p.user_id,
        drawing::lock_also(drawing::create(p, overlay.version, &shape, &layer, note, &event)?, t, placed.also.as_ref()),
    )
    .await?;
    app.store.transact(tx).await.map_err(|e| lookup::refused(p, e))?;
    drawing::remember(&app.store, t, &linked).await?;
    let view = status::view(shape, &[(linked.unit.id, linked.unit_state())].into_iter().collect());
    Ok(Reply::created(format!("/v1/maps/shapes/{}", view.shape.id), &view).etag(view.shape.version))
}
