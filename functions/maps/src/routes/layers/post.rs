//! `POST /v1/maps/overlays/{id}/layers` `{name, kind, floor_index?,
//! order_index?, is_visible?, opacity?}` — a layer (`site`, `floor` with
//! its floor, or `custom`), at most 20 an overlay, counted in the
//! transaction. Drawn last unless `order_index` says otherwise.
//! `map.layer.created`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_maps::layer::{self, Layer, LayerChanges};
use crm_maps::overlay::{Overlay, OVERLAY};
use crm_store::tx::Condition;
use crm_store::{keys, Tx};
use serde_json::json;

use crate::{lookup, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let overlay = lookup::overlay_of(&app.store, &call).await?;
    let existing = lookup::layers(&app.store, t, overlay.id).await?;
    let next_order = existing.iter().map(|l| l.order_index + 1).max().unwrap_or(0);
    let l = Layer::new(overlay.id, next_order, call.json::<LayerChanges>()?, Timestamp::now())?;
    let data = json!({ "layer_id": l.id, "name": l.name, "kind": l.kind });
    let event = lookup::event(&call, crm_events::types::MAP_LAYER_CREATED, "overlay", overlay.id, data)?;
    let tally = keys::children_tally(t, OVERLAY, overlay.id);
    let tx = Tx::new()
        .put_new("layer", l.to_item(t)?)
        .check("ref:overlay", &Overlay::key(t, overlay.id), Condition::exists())
        .emit_audited(&event);
    let tx = crm_store::usage::take_at(tx, "layers_max", &tally, "layers", layer::MAX_PER_OVERLAY as i64, None);
    app.store.transact(tx).await.map_err(|e| lookup::refused(p, e))?;
    Ok(Reply::created(format!("/v1/maps/overlays/{}/layers/{}", overlay.id, l.id), &l).etag(l.version))
}
