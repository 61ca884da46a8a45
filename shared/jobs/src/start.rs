//! Starting a job. An import: a job waiting for its file, and a presigned
//! `POST` form for the CSV (its policy holds the key, `text/csv` and the
//! size limit); `POST /v1/jobs/{id}/start` then queues it. An export: a job
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
    let p = call.principal()?.clone();
    let b: Body = call.json()?;
    let name = b.filename.unwrap_or_else(|| default_name.into());
    if name.is_empty()
        || name.len() > 100
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._- ".contains(c))
        || !name.ends_with(".csv")
    {
        return Err(AppError::invalid("filename", "must be a .csv name of letters, digits, spaces, `.`, `_` or `-` (at most 100)"));
    }
    let mut job = Job::new(kind, p.tenant_id, p.user_id, &name.replace(' ', "_"), Timestamp::now());
    job.dry_run = b.dry_run;
    job.limit = kind.limit().map(|l| p.entitlements.limit(l));
    job.leads_scoring = p.entitlements.has("leads.scoring");
    job.custom_fields_allowed = p.entitlements.has(kind.custom_fields_feature());
    // A presigned POST: the storage itself refuses anything but a CSV of at most MAX_BYTES.
    let upload = files.upload_form(&job.object_key, "text/csv", crate::csv_file::MAX_BYTES).await?;
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
    (job.viewer_roles, job.viewer_scope, job.viewer_permissions) = (p.roles.clone(), p.scope.clone(), p.permissions.clone());
    store.transact(Tx::new().put_new("job", job.to_item()?).emit(&crate::worker::queued(&job))).await?;
    Ok(Reply::with_status(202, crate::job::public(&job)))
}
