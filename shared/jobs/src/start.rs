//! Starting a job. An import: a job waiting for its file, and a presigned
//! `POST` form for it (its policy holds the key, the kind's file type —
//! `text/csv`, a map shapes import's `application/geo+json` — and its size
//! limit); `POST /v1/jobs/{id}/start` then queues it. An export: a job
//! queued at once, with what its creator sees. Every context's import and
//! export routes start here; the context's jobs worker runs what they start.

use crm_auth::Principal;
use crm_events::outbox::EmitExt;
use crm_files::Files;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::{Store, Tx};
use serde::Deserialize;

use crate::job::{Job, JobKind, JobStatus, JobView};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Body {
    #[serde(default)]
    filename: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

/// Starts an import job of `kind` (`POST /v1/contacts/import`, `/v1/leads/import`, `/v1/units/import`).
pub async fn import(store: &Store, files: &Files, call: &Call, kind: JobKind, default_name: &str) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let b: Body = call.json()?;
    let name = filename(kind, b.filename, default_name)?;
    let mut job = new_import(p, kind, &name);
    job.dry_run = b.dry_run;
    upload(store, files, job).await
}

/// The file's name for an import of `kind` (`default_name` if none is
/// given): letters, digits, spaces, `.`, `_` or `-`, ending as the kind's
/// files do; a field error on `filename` otherwise.
pub fn filename(kind: JobKind, given: Option<String>, default_name: &str) -> Result<String, AppError> {
    let name = given.unwrap_or_else(|| default_name.into());
    let ends = kind.file().extensions;
    if name.is_empty()
        || name.len() > 100
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._- ".contains(c))
        || !ends.iter().any(|e| name.ends_with(e))
    {
        let message = format!("must be a {} name of letters, digits, spaces, `.`, `_` or `-` (at most 100)", ends.join(" or "));
        return Err(AppError::invalid("filename", message));
    }
    Ok(name)
}

/// A new import of `kind` by `p`, its file `name`, with what `p` holds
/// now (the plan's limit on what it creates, its features, the creator's
/// roles and permissions: [`Job::started_by`]).
pub fn new_import(p: &Principal, kind: JobKind, name: &str) -> Job {
    let mut job = Job::new(kind, p.tenant_id, p.user_id, &name.replace(' ', "_"), Timestamp::now());
    job.limit = kind.limit().map(|l| p.entitlements.limit(l));
    job.leads_scoring = p.entitlements.has("leads.scoring");
    job.custom_fields_allowed = p.entitlements.has(kind.custom_fields_feature());
    job.started_by(p);
    job
}

/// Keeps `job`, waiting for its file, and answers `201` with it and the
/// form its file goes up with.
pub async fn upload(store: &Store, files: &Files, job: Job) -> Result<Reply, AppError> {
    // A presigned POST: the storage itself refuses anything but the kind's file type, within its size.
    let file = job.kind.file();
    let upload = files.upload_form(&job.object_key, file.content_type, file.max_bytes).await?;
    store.put(job.to_item()?).await?;
    Ok(Reply::created(format!("/v1/jobs/{}", job.id), Started { job: crate::job::public(&job), upload }))
}

/// A new import: the job, and the presigned form its CSV goes up with.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Started {
    pub job: JobView,
    pub upload: crm_files::policy::UploadForm,
}

/// Queues an export of `kind` with its list `filter`, for what `p` sees
/// (roles, team scope, field permissions): `202` with the job, whose
/// `GET /v1/jobs/{id}` gives the download once completed.
pub async fn export(store: &Store, p: &Principal, kind: JobKind, filter: serde_json::Value, name: &str) -> Result<Reply, AppError> {
    let mut job = Job::new(kind, p.tenant_id, p.user_id, name, Timestamp::now());
    job.status = JobStatus::Queued;
    job.filter = filter;
    job.download_name = Some(name.into());
    job.started_by(p);
    store.transact(Tx::new().put_new("job", job.to_item()?).emit(&crate::worker::queued(&job))).await?;
    Ok(Reply::with_status(202, crate::job::public(&job)))
}
