//! `DELETE /v1/maps/shapes/{id}` — the shape and its pointer go, its places
//! in `maps.shapes.max` and in its overlay are given back; its versions
//! stay as the history of what was drawn. A unit's shape that still holds
//! component shapes is refused (`409`): they must lie inside it.
//! `If-Match` honoured. `map.shape.deleted`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_maps::map_shape::MapShape;
use crm_maps::overlay::OVERLAY;
use crm_maps::shape::ShapeKind;
use crm_store::tx::Condition;
use crm_store::{keys, AttributeValue, Tx};
use serde_json::json;

use crate::{lookup, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let (overlay, shape) = lookup::shape_of(&app.store, &call).await?;
    lookup::if_match(&call, shape.version)?;
    let mut tx = Tx::new();
    if shape.kind == ShapeKind::Unit {
        let all = lookup::shapes(&app.store, t, overlay.id).await?;
        if crate::drawing::holds_components(&all, &shape) {
            return Err(AppError::Conflict("the unit's component shapes lie inside this shape: delete them first".into()));
        }
        // A component drawn meanwhile would take the layer's revision.
        if let Ok(layer) = lookup::layer(&app.store, t, overlay.id, shape.layer_id).await {
            tx = crate::drawing::take_revision(tx, t, &layer);
        }
    }
    let data = json!({ "shape_id": shape.id, "label": shape.label, "unit_id": shape.unit_id, "kind": shape.kind });
    let event = lookup::event(&call, crm_events::types::MAP_SHAPE_DELETED, "overlay", overlay.id, data)?;
    let tally = keys::children_tally(t, OVERLAY, overlay.id);
    let positive = Condition::new("#u0 > :zero").value(":zero", AttributeValue::N("0".into()));
    let tx = tx
        .delete("shape", &MapShape::key(t, overlay.id, shape.id), Some(shape.unchanged()))
        .delete("pointer", &MapShape::pointer(t, shape.id), None)
        .add("shapes_release", &tally, &[("shapes", -1)], positive)
        .emit_audited(&event);
    let tx = crm_records::write::release_quota(tx, t, "maps.shapes.max");
    let tx = crate::notices::shape_changed(&app.store, &overlay, &shape, "deleted", p.user_id, tx).await?;
    app.store.transact(tx).await.map_err(|e| lookup::refused(p, e))?;
    Ok(Reply::no_content())
}
