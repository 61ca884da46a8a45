//! `PATCH /v1/maps/shapes/{id}` `{geom_geojson | rectangle, layer_id,
//! label, change_note}` — a new geometry (or a move to another layer of the
//! overlay) is checked whole again, like a new shape, and written as the
//! next version with its change note; a label alone changes no version.
//! `If-Match` honoured. `map.shape.updated`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_maps::map_shape::MapShape;
use crm_maps::polygon::GeoJsonPolygon;
use crm_store::Tx;
use serde_json::json;

use crate::drawing::{self, Draft, Rectangle};
use crate::{lookup, status, App};

/// The body of `MapShapesUpdate`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ShapeChanges {
    pub geom_geojson: Input<GeoJsonPolygon>,
    pub rectangle: Input<Rectangle>,
    /// Another layer of the overlay.
    pub layer_id: Input<EntityId>,
    #[schemars(length(min = 1, max = 80))]
    pub label: Input<String>,
    #[schemars(length(max = 500))]
    pub change_note: Input<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let (overlay, current) = lookup::shape_of(&app.store, &call).await?;
    lookup::if_match(&call, current.version)?;
    let asked: ShapeChanges = call.json()?;
    let mut f = Fields::new();
    let geom = drawing::geometry(&mut f, asked.geom_geojson, asked.rectangle, false);
    let layer_id = f.entity_id("layer_id", asked.layer_id).flatten().filter(|l| *l != current.layer_id);
    let label = match f.text("label", asked.label, 80) {
        Some(None) => {
            f.error("label", "must not be empty");
            None
        }
        other => other.flatten(),
    };
    let note = drawing::note(&mut f, asked.change_note);
    let (geom, layer_id, label) = f.finish((geom, layer_id, label))?;
    let now = Timestamp::now();
    let mut next = MapShape { updated_at: now, updated_by_user_id: p.user_id, revision: current.revision + 1, ..current.clone() };
    if let Some(l) = &label {
        next.label = l.clone();
    }
    let mut changes = serde_json::Map::new();
    if next.label != current.label {
        changes.insert("label".into(), json!(next.label));
    }
    let tx = if geom.is_some() || layer_id.is_some() {
        let layer = drawing::layer_of(&app.store, t, overlay.id, layer_id.unwrap_or(current.layer_id)).await?;
        let geom = geom.unwrap_or_else(|| current.geom_geojson.clone());
        let linked = drawing::links_of(&app.store, p, &overlay, &current).await?;
        let placed = drawing::check(
            &app.store,
            &overlay,
            Draft { layer: &layer, kind: current.kind, geom: &geom, linked: &linked, except: Some(current.id) },
        )
        .await?;
        next = drawing::with_geometry(MapShape { layer_id: layer.id, version: current.version + 1, ..next }, geom, placed.checked.measures);
        changes.insert("version".into(), json!(next.version));
        if next.layer_id != current.layer_id {
            changes.insert("layer_id".into(), json!(next.layer_id));
        }
        if next.geom_geojson != current.geom_geojson {
            changes.insert("geom_geojson".into(), json!(next.geom_geojson));
        }
        let event = event(&call, &next, changes, note.as_deref())?;
        let tx = drawing::lock_also(drawing::save(t, &overlay, &current, &next, &layer, note, &event)?, t, placed.also.as_ref());
        crate::notices::shape_changed(&app.store, &overlay, &next, "redrew", p.user_id, tx).await?
    } else if changes.is_empty() {
        return Ok(Reply::ok(status::views(&app.store, t, vec![current]).await?.remove(0)));
    } else {
        let event = event(&call, &next, changes, note.as_deref())?;
        let tx = Tx::new().put_if("shape", next.to_item(t)?, current.unchanged()).emit_audited(&event);
        crate::notices::shape_changed(&app.store, &overlay, &next, "relabelled", p.user_id, tx).await?
    };
    app.store.transact(tx).await.map_err(|e| lookup::refused(p, e))?;
    let view = status::views(&app.store, t, vec![next]).await?.remove(0);
    let version = view.shape.version;
    Ok(Reply::ok(view).etag(version))
}

fn event(
    call: &Call,
    next: &MapShape,
    changes: serde_json::Map<String, serde_json::Value>,
    note: Option<&str>,
) -> Result<crm_events::DomainEvent, AppError> {
    let data = json!({ "shape_id": next.id, "label": next.label, "unit_id": next.unit_id, "changes": changes, "change_note": note });
    lookup::event(call, crm_events::types::MAP_SHAPE_UPDATED, "overlay", next.overlay_id, data)
}
