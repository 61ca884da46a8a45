//! `POST /v1/maps/shapes/{id}/link-unit` `{unit_id}` — a unit shape links
//! (another) unit of the overlay's project: its `unit_type_code` frozen
//! anew, its label the unit's code unless one is given, and
//! the unit's component shapes on the overlay still inside it. The
//! geometry and its version do not change. `map.shape.linked`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_maps::map_shape::MapShape;
use crm_maps::shape::ShapeKind;
use crm_store::Tx;
use serde_json::json;

use crate::drawing::{self, Draft, Linked};
use crate::{lookup, status, App};

/// The body of `MapShapeLinkUnit`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LinkUnit {
    pub unit_id: Input<EntityId>,
    /// Default: the unit's code.
    #[schemars(length(min = 1, max = 80))]
    pub label: Input<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let (overlay, current) = lookup::shape_of(&app.store, &call).await?;
    lookup::if_match(&call, current.version)?;
    let asked: LinkUnit = call.json()?;
    let mut f = Fields::new();
    let unit_id = f.entity_id("unit_id", asked.unit_id).flatten();
    f.require("unit_id", unit_id.is_some());
    let label = f.text("label", asked.label, 80).flatten();
    let (unit_id, label) = f.finish((unit_id, label))?;
    if current.kind != ShapeKind::Unit {
        return Err(AppError::Conflict("a component shape links a component: use link-component".into()));
    }
    let linked = drawing::link(&app.store, p, &overlay, ShapeKind::Unit, unit_id, None).await?;
    relink(app, &call, &overlay, current, &linked, label).await
}

/// Writes `current` linked to `linked` after checking its geometry with
/// the new links (the layer's revision taken). Shared with `link-component`.
pub async fn relink(
    app: &App,
    call: &Call,
    overlay: &crm_maps::overlay::Overlay,
    current: MapShape,
    linked: &Linked,
    label: Option<String>,
) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let layer = drawing::layer_of(&app.store, t, overlay.id, current.layer_id).await?;
    if current.unit_id != Some(linked.unit.id)
        && drawing::holds_components(&crate::lookup::shapes(&app.store, t, overlay.id).await?, &current)
    {
        return Err(AppError::Conflict("the unit's component shapes lie inside this shape: move or delete them first".into()));
    }
    let placed = drawing::check(
        &app.store,
        overlay,
        Draft { layer: &layer, kind: current.kind, geom: &current.geom_geojson, linked, except: Some(current.id) },
    )
    .await?;
    let mut next = MapShape { updated_at: Timestamp::now(), updated_by_user_id: p.user_id, ..current.clone() };
    linked.stamp(&mut next);
    next.label = label.unwrap_or_else(|| linked.label());
    let data = json!({
        "shape_id": next.id, "kind": next.kind, "label": next.label, "unit_id": next.unit_id, "previous_unit_id": current.unit_id,
        "unit_component_id": next.unit_component_id, "component_type_code": next.component_type_code, "unit_type_code": next.unit_type_code,
    });
    let event = lookup::event(call, crm_events::types::MAP_SHAPE_LINKED, "overlay", overlay.id, data)?;
    next.revision = current.revision + 1;
    let tx = Tx::new().put_if("shape", next.to_item(t)?, current.unchanged()).emit_audited(&event);
    let tx = crate::notices::shape_changed(
        &app.store,
        overlay,
        &next,
        "relinked",
        p.user_id,
        drawing::lock_also(drawing::take_revision(tx, t, &layer), t, placed.also.as_ref()),
    )
    .await?;
    app.store.transact(tx).await.map_err(|e| lookup::refused(p, e))?;
    drawing::remember(&app.store, t, linked).await?;
    let view = status::view(next, &[(linked.unit.id, linked.unit_state())].into_iter().collect());
    let v = view.shape.version;
    Ok(Reply::ok(view).etag(v))
}
