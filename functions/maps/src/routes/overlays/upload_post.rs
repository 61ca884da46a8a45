//! `POST /v1/maps/overlays/{id}/upload` — a new presigned POST for the
//! overlay's plan file while it still waits for one (the first form
//! expired, or the file it sent was refused): `409` once the plan is
//! confirmed — an overlay's plan is fixed then.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_maps::overlay::OverlayStatus;

use crate::{lookup, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let overlay = lookup::overlay_of(&app.store, &call).await?;
    if overlay.status != OverlayStatus::AwaitingUpload {
        return Err(AppError::Conflict("the overlay's plan is confirmed: create another overlay for another plan".into()));
    }
    let upload = app.files.upload_form(&overlay.object_key(), overlay.file_type.content_type(), overlay.file_type.max_bytes()).await?;
    Ok(Reply::ok(upload))
}
