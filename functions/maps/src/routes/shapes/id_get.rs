//! `GET /v1/maps/shapes/{id}` — a shape with its unit's status.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::{lookup, status, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let (overlay, shape) = lookup::shape_of(&app.store, &call).await?;
    let view = status::views(&app.store, overlay.tenant_id, vec![shape]).await?.remove(0);
    let version = view.shape.version;
    Ok(Reply::ok(view).etag(version))
}
