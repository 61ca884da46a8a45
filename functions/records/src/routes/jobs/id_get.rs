//! `GET /v1/jobs/{id}` — a job's progress (`next_row`, `total_rows`,
//! counts), its row errors and duplicates (the first 200 of each) and, for
//! a completed export, a download URL (15 minutes) — for contacts only for
//! a reader who may read every field the file holds (it was written with
//! its creator's field permissions, `crm_auth::sensitive`).

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;
use crm_jobs::job::{Download, JobKind, JobStatus};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let job = super::load(app, &call, JobKind::read_permission).await?;
    let mut body = crm_jobs::job::public(&job);
    if job.kind.is_export() && job.status == JobStatus::Completed {
        let p = call.principal()?;
        let sensitive = if job.kind == JobKind::ContactsExport { crm_auth::sensitive::CONTACT } else { &[] };
        let mut in_file =
            sensitive.iter().filter(|s| job.viewer_permissions.is_empty() || job.viewer_permissions.contains(s.permission.code()));
        if let Some(s) = in_file.find(|s| !p.can(s.permission)) {
            return Err(AppError::Forbidden(format!("the file holds contact {}s; downloading it takes `{}`", s.field, s.permission)));
        }
        let (url, expires_at) = app.files.download_url(&job.object_key, job.download_name.as_deref().unwrap_or("export.csv")).await?;
        body.download = Some(Download { url, expires_at });
    }
    Ok(Reply::ok(body).etag(job.version))
}
