//! `PATCH /v1/maps/overlays/{id}/layers/{layerId}` — rename, reorder, show
//! or hide, its opacity or floor (`If-Match` honoured). Its kind may change
//! only while it holds no shapes. `map.layer.updated`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_maps::layer::LayerChanges;
use crm_store::tx::Condition;
use crm_store::{AttributeValue, Tx};
use serde_json::json;

use crate::{lookup, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let (overlay, current) = super::load(app, &call).await?;
    lookup::if_match(&call, current.version)?;
    let next = current.apply(call.json::<LayerChanges>()?, Timestamp::now())?;
    if next.kind != current.kind && lookup::shapes(&app.store, t, overlay.id).await?.iter().any(|s| s.layer_id == current.id) {
        return Err(AppError::invalid("kind", "the layer holds shapes: its kind is fixed"));
    }
    let before = serde_json::to_value(&current).unwrap_or_default();
    let after = serde_json::to_value(&next).unwrap_or_default();
    let changes = crm_records::write::changes(&before, &after);
    let changes: serde_json::Map<_, _> = changes.into_iter().filter(|(k, _)| !["updated_at", "version"].contains(&k.as_str())).collect();
    if changes.is_empty() {
        return Ok(Reply::ok(&current).etag(current.version));
    }
    let event = lookup::event(
        &call,
        crm_events::types::MAP_LAYER_UPDATED,
        "overlay",
        overlay.id,
        json!({ "layer_id": current.id, "changes": changes }),
    )?;
    // Neither a newer version nor a shape written meanwhile (its revision) is overwritten.
    let unchanged = Condition::new("#v = :v AND #r = :r")
        .name("#v", "version")
        .value(":v", AttributeValue::N(current.version.to_string()))
        .name("#r", "revision")
        .value(":r", AttributeValue::N(current.revision.to_string()));
    let tx = Tx::new().put_if("layer", next.to_item(t)?, unchanged).emit_audited(&event);
    app.store.transact(tx).await.map_err(|e| lookup::refused(p, e))?;
    Ok(Reply::ok(&next).etag(next.version))
}
