//! `DELETE /v1/maps/overlays/{id}/publish` — unpublish: the public link is
//! deleted, so every copy of its URL answers `404` from now on. Nothing to
//! revoke is `204` too. The project's owner and the overlay's creator are
//! told. `map.overlay.unpublished`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_maps::overlay::Overlay;
use crm_maps::public_link::PublicLink;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::{lookup, notices, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let current = lookup::overlay_of(&app.store, &call).await?;
    lookup::if_match(&call, current.version)?;
    let Some(link) = current.public_link_id else { return Ok(Reply::no_content()) };
    let next =
        Overlay { public_link_id: None, published_at: None, updated_at: Timestamp::now(), version: current.version + 1, ..current.clone() };
    let event = lookup::event(&call, crm_events::types::MAP_OVERLAY_UNPUBLISHED, "overlay", current.id, json!({ "link_id": link }))?;
    let tx = Tx::new()
        .put_if("overlay", next.to_item()?, Condition::version_is(current.version))
        .delete("link", &PublicLink::key(t, link), None)
        .emit_audited(&event);
    let tx = notices::publication(&app.store, &next, "map.overlay.unpublished", p.user_id, tx).await?;
    app.store.transact(tx).await.map_err(|e| lookup::refused(p, e))?;
    Ok(Reply::no_content())
}
