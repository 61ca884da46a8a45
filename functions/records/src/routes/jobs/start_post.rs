//! `POST /v1/jobs/{id}/start` — the file is uploaded: check it is there and
//! within its kind's size (a CSV 20 MB, a GeoJSON file 10 MB), pin its version,
//! hold it to the starter's plan as it stands now too ([`Job::narrow_to`]), and queue the import (`job.queued`,
//! audited). Starting a job twice is `409`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;

use crate::App;
use crm_jobs::job::{Job, JobKind, JobStatus};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let job = super::load(app, &call, JobKind::start_permission).await?;
    if job.status != JobStatus::AwaitingUpload {
        return Err(AppError::Conflict("the job has already started".into()));
    }
    let uploaded = match app.files.uploaded(&job.object_key).await? {
        None => return Err(AppError::Rule { code: "UPLOAD_MISSING", message: "upload the file to the job's URL first".into() }),
        Some(u) if u.size > job.kind.file().max_bytes => {
            return Err(AppError::PayloadTooLarge { limit: job.kind.file().max_bytes as usize })
        }
        Some(u) if u.version.is_none() => {
            return Err(AppError::Unavailable("the file store reported no version of the upload; retry".into()))
        }
        Some(u) => u,
    };
    // The job pins the version it starts with: a file uploaded over it later is never read.
    let mut next = Job {
        status: JobStatus::Queued,
        object_version: uploaded.version,
        updated_at: Timestamp::now(),
        version: job.version + 1,
        ..job.clone()
    };
    next.narrow_to(call.principal()?);
    let event = crm_jobs::worker::queued(&next);
    app.store
        .transact(Tx::new().put_if("job", next.to_item()?, Condition::version_is(job.version)).emit_audited(&event))
        .await
        .map_err(|_| AppError::Conflict("the job has already started".into()))?;
    Ok(Reply::with_status(202, crm_jobs::job::public(&next)))
}
