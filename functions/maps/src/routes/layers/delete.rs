//! `DELETE /v1/maps/overlays/{id}/layers/{layerId}` — only a layer without
//! shapes (`409` otherwise; its revision must be the one read, so a shape
//! drawn meanwhile stops the delete). `map.layer.deleted`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_maps::layer::Layer;
use crm_maps::overlay::OVERLAY;
use crm_store::tx::Condition;
use crm_store::{keys, AttributeValue, Tx};
use serde_json::json;

use crate::{lookup, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let (overlay, layer) = super::load(app, &call).await?;
    lookup::if_match(&call, layer.version)?;
    if lookup::shapes(&app.store, t, overlay.id).await?.iter().any(|s| s.layer_id == layer.id) {
        return Err(AppError::Conflict("the layer holds shapes: delete or move them first".into()));
    }
    let event = lookup::event(
        &call,
        crm_events::types::MAP_LAYER_DELETED,
        "overlay",
        overlay.id,
        json!({ "layer_id": layer.id, "name": layer.name }),
    )?;
    let unchanged = Condition::eq("revision", AttributeValue::N(layer.revision.to_string()));
    let tally = keys::children_tally(t, OVERLAY, overlay.id);
    let release = Condition::new("#u0 > :zero").value(":zero", AttributeValue::N("0".into()));
    let tx = Tx::new()
        .delete("layer_revision", &Layer::key(t, overlay.id, layer.id), Some(unchanged))
        .add("layers_release", &tally, &[("layers", -1)], release)
        .emit_audited(&event);
    app.store.transact(tx).await.map_err(|e| lookup::refused(p, e))?;
    Ok(Reply::no_content())
}
