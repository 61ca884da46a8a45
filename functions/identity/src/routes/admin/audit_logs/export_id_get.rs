//! `GET /v1/admin/audit-logs/exports/{id}` — an audit export of the
//! caller's tenant and, once completed, a presigned download URL
//! (15 minutes; ask again for a fresh one).

use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId};

use super::export_post::{Download, ExportView};
use crate::audit_export::{AuditExport, Status};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let x = AuditExport::from_item(app.store.get(&AuditExport::key(t, id)).await?.ok_or(AppError::NotFound)?)?;
    let download = if x.status == Status::Completed {
        let (url, expires_at) = app.files.download_url(&x.object_key, &x.file_name()).await?;
        Some(Download { url, expires_at })
    } else {
        None
    };
    Ok(Reply::ok(ExportView { export: x, download }))
}
