//! `DELETE /v1/maps/overlays/{id}` — only an overlay without shapes (`409`
//! otherwise: its tally of shapes must be zero in the transaction, so a
//! shape drawn meanwhile stops the delete). Its layers and public link go
//! with it, its place in `maps.overlays.max` is given back, and its plan
//! file is deleted. `map.overlay.deleted`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_maps::layer::Layer;
use crm_maps::overlay::{Overlay, OVERLAY};
use crm_maps::public_link::PublicLink;
use crm_store::tx::Condition;
use crm_store::{keys, StoreError, Tx};
use serde_json::json;

use crate::{lookup, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let overlay = lookup::overlay_of(&app.store, &call).await?;
    lookup::if_match(&call, overlay.version)?;
    let layers = lookup::layers(&app.store, t, overlay.id).await?;
    let event = lookup::event(&call, crm_events::types::MAP_OVERLAY_DELETED, "overlay", overlay.id, json!({ "name": overlay.name }))?;
    let mut tx = Tx::new()
        .delete("overlay", &Overlay::key(t, overlay.id), Some(Condition::version_is(overlay.version)))
        .delete("tally", &keys::children_tally(t, OVERLAY, overlay.id), Some(Condition::absent_or_zero("shapes")))
        .emit_audited(&event);
    for (i, l) in layers.iter().enumerate() {
        tx = tx.delete(&format!("layer{i}"), &Layer::key(t, overlay.id, l.id), None);
    }
    if let Some(link) = overlay.public_link_id {
        tx = tx.delete("link", &PublicLink::key(t, link), None);
    }
    let tx = crm_records::write::release_quota(tx, t, "maps.overlays.max");
    match app.store.transact(tx).await {
        Err(StoreError::ConditionFailed { label }) if label == "tally" => {
            return Err(AppError::Conflict("the overlay has shapes: delete them first".into()))
        }
        other => other.map_err(|e| lookup::refused(p, e))?,
    }
    if overlay.status == crm_maps::overlay::OverlayStatus::Ready {
        app.files.delete(&overlay.object_key()).await?;
    }
    Ok(Reply::no_content())
}
