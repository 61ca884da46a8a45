//! `GET /v1/jobs/{id}` — a job's progress (`next_row`, `total_rows`,
//! counts), its row errors and duplicates (the first 200 of each) and, for
//! a completed export, a download URL (15 minutes).

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::job::{JobKind, JobStatus};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let job = super::load(app, &call).await?;
    let mut body = crate::job::public(&job);
    if job.kind == JobKind::ContactsExport && job.status == JobStatus::Completed {
        let (url, expires_at) = app.files.download_url(&job.object_key, job.download_name.as_deref().unwrap_or("contacts.csv")).await?;
        body.download = Some(crate::job::Download { url, expires_at });
    }
    Ok(Reply::ok(body).etag(job.version))
}
