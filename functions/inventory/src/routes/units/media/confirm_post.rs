//! `POST /v1/units/{id}/media/{mediaId}/confirm` — the upload is there:
//! the item becomes `ready` with its size (`422 UPLOAD_MISSING` before the
//! file is uploaded). `unit.media.added`. Confirming again changes nothing.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::media::{Media, MediaStatus};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use super::MediaView;
use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let (unit, m) = super::load(app, &call).await?;
    let ready = |m: Media, url: String| Reply::ok(MediaView { media: m, download_url: Some(url) });
    if m.status == MediaStatus::Ready {
        let url = app.files.download_url(&m.object_key(), &m.file_name).await?.0;
        return Ok(ready(m, url));
    }
    let Some(object) = app.files.uploaded(&m.object_key()).await? else {
        return Err(AppError::Rule { code: "UPLOAD_MISSING", message: "upload the file with the form first".into() });
    };
    let next = Media { status: MediaStatus::Ready, size: Some(object.size), version: m.version + 1, ..m.clone() };
    let data = json!({ "media_id": m.id, "media_type": m.media_type, "content_type": m.content_type, "size": object.size, "code": unit.fields.code });
    let event = catalogue::event(&call, crm_events::types::UNIT_MEDIA_ADDED, "unit", unit.id, data)?;
    let tx = Tx::new().put_if("media", next.to_item()?, Condition::version_is(m.version)).emit_audited(&event);
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    let url = app.files.download_url(&next.object_key(), &next.file_name).await?.0;
    Ok(ready(next, url))
}
