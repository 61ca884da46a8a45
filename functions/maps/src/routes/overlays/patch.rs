//! `PATCH /v1/maps/overlays/{id}` — rename, its dpi or SRID (`If-Match`
//! honoured); its project, building and file type are fixed at creation.
//! `map.overlay.updated`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_maps::overlay::OverlayChanges;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::{lookup, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let current = lookup::overlay_of(&app.store, &call).await?;
    lookup::if_match(&call, current.version)?;
    let next = current.apply(call.json::<OverlayChanges>()?, Timestamp::now())?;
    if next.watchers != current.watchers {
        lookup::check_watchers(&app.store, p.tenant_id, &next.watchers).await?;
    }
    let fields = [("name", json!(next.name)), ("dpi", json!(next.dpi)), ("srid", json!(next.srid)), ("watchers", json!(next.watchers))];
    let changes: serde_json::Map<String, serde_json::Value> = fields
        .into_iter()
        .filter(|(k, v)| serde_json::to_value(&current).ok().and_then(|c| c.get(*k).cloned()).as_ref() != Some(v))
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    if changes.is_empty() {
        return Ok(Reply::ok(&current).etag(current.version));
    }
    let event = lookup::event(&call, crm_events::types::MAP_OVERLAY_UPDATED, "overlay", current.id, json!({ "changes": changes }))?;
    let tx = Tx::new().put_if("overlay", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    app.store.transact(tx).await.map_err(|e| lookup::refused(p, e))?;
    Ok(Reply::ok(&next).etag(next.version))
}
