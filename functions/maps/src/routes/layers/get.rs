//! `GET /v1/maps/overlays/{id}/layers` — the overlay's layers in drawing order.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::{lookup, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let overlay = lookup::overlay_of(&app.store, &call).await?;
    Ok(Reply::ok(lookup::layers(&app.store, overlay.tenant_id, overlay.id).await?))
}
