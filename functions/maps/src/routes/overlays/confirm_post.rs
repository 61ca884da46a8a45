//! `POST /v1/maps/overlays/{id}/confirm` — the plan file is uploaded: it is
//! read back and measured ([`crm_maps::plan_file`]), never sized by the
//! client. A JPEG or PNG by its header, an SVG by its root element, a PDF
//! by its one page's MediaBox. The overlay becomes `ready` with its pixel
//! size; a file that is not a plan of its type is `422 PLAN_FILE_INVALID`
//! and is deleted, so a new upload can follow. `422 UPLOAD_MISSING` before
//! the upload. The version measured is pinned: only it is ever shown,
//! whatever is uploaded over it later. Confirming a ready overlay changes
//! nothing.
//! `map.overlay.updated`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_maps::overlay::{Overlay, OverlayStatus};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::{lookup, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let overlay = lookup::overlay_of(&app.store, &call).await?;
    if overlay.status == OverlayStatus::Ready {
        return Ok(Reply::ok(&overlay).etag(overlay.version));
    }
    let key = overlay.object_key();
    let Some(uploaded) = app.files.uploaded(&key).await? else {
        return Err(AppError::Rule { code: "UPLOAD_MISSING", message: "upload the plan file with the form first".into() });
    };
    // That very version is measured, and is the one ever shown.
    let bytes = app.files.read(&key, uploaded.version.as_deref(), overlay.file_type.max_bytes()).await?;
    let size = match crm_maps::plan_file::measure(overlay.file_type, &bytes) {
        Ok(size) => size,
        Err(why) => {
            app.files.delete(&key).await?;
            return Err(AppError::Rule { code: "PLAN_FILE_INVALID", message: why });
        }
    };
    let next = Overlay {
        status: OverlayStatus::Ready,
        file_version: uploaded.version.clone(),
        width_px: Some(size.width),
        height_px: Some(size.height),
        updated_at: Timestamp::now(),
        version: overlay.version + 1,
        ..overlay.clone()
    };
    let data = json!({ "changes": { "status": next.status, "width_px": size.width, "height_px": size.height } });
    let event = lookup::event(&call, crm_events::types::MAP_OVERLAY_UPDATED, "overlay", overlay.id, data)?;
    let tx = Tx::new().put_if("overlay", next.to_item()?, Condition::version_is(overlay.version)).emit_audited(&event);
    app.store.transact(tx).await.map_err(|e| lookup::refused(p, e))?;
    Ok(Reply::ok(&next).etag(next.version))
}
