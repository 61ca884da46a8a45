//! `POST /v1/maps/overlays/{id}/publish` — a public read-only link to the
//! overlay (`maps.publicViews`; the overlay uploaded): a new capability
//! every time, the one before revoked in the same transaction, so a leaked
//! link dies by publishing again. The public id is shown here once; the
//! link stores only its hash. The project's owner and the overlay's
//! creator are told. `map.overlay.published`.

use crm_auth::opaque::OpaqueToken;
use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_maps::overlay::Overlay;
use crm_maps::public_link::{PublicLink, TOKEN_PREFIX};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::{lookup, notices, App};

/// The link, shown once.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Published {
    pub overlay: Overlay,
    /// The capability in the public URLs (keep it: it is not shown again).
    pub public_id: String,
    /// `GET` it for the read-only JSON view.
    pub url: String,
    /// The plan as SVG.
    pub svg_url: String,
    /// The viewer page for a browser.
    pub view_url: String,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let current = lookup::overlay_of(&app.store, &call).await?;
    lookup::if_match(&call, current.version)?;
    p.entitlements.require_feature("maps.publicViews")?;
    lookup::size_of(&current)?;
    let now = Timestamp::now();
    let token = OpaqueToken::generate(Some(TOKEN_PREFIX), t, EntityId::new());
    let link = PublicLink { id: token.id, overlay_id: current.id, secret_hash: token.hash(), created_by: p.user_id, created_at: now };
    let next = Overlay {
        public_link_id: Some(link.id),
        published_at: Some(now),
        updated_at: now,
        version: current.version + 1,
        ..current.clone()
    };
    let event = lookup::event(
        &call,
        crm_events::types::MAP_OVERLAY_PUBLISHED,
        "overlay",
        current.id,
        json!({ "link_id": link.id, "replaced": current.public_link_id }),
    )?;
    let mut tx = Tx::new()
        .put_if("overlay", next.to_item()?, Condition::version_is(current.version))
        .put_new("link", link.to_item(t)?)
        .emit_audited(&event);
    if let Some(old) = current.public_link_id {
        tx = tx.delete("old_link", &PublicLink::key(t, old), None);
    }
    let tx = notices::publication(&app.store, &next, "map.overlay.published", p.user_id, tx).await?;
    app.store.transact(tx).await.map_err(|e| lookup::refused(p, e))?;
    let public_id = token.to_wire();
    let url = format!("/v1/public/overlays/{public_id}");
    Ok(Reply::created(
        url.clone(),
        Published { overlay: next, svg_url: format!("{url}/render.svg"), view_url: format!("{url}/view"), url, public_id },
    ))
}
