//! Starting an import: a job waiting for its file, and a presigned `POST`
//! form for the CSV (its policy holds the key, `text/csv` and the size
//! limit). The contacts and leads import routes both start here; the jobs
//! worker ([`crate::jobs`]) runs what they start.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use serde::Deserialize;

use crate::job::{Job, JobKind};
use crate::App;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Body {
    #[serde(default)]
    filename: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

/// Starts an import job of `kind` (contacts, or leads: `POST /v1/leads/import`).
pub async fn start_import(app: &App, call: &Call, kind: JobKind, default_name: &str) -> Result<Reply, AppError> {
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
    job.limit = Some(p.entitlements.limit(if kind == JobKind::LeadsImport { "leads.max" } else { "contacts.max" }));
    job.leads_scoring = p.entitlements.has("leads.scoring");
    job.custom_fields_allowed = p.entitlements.has("contacts.customFields");
    // A presigned POST: the storage itself refuses anything but a CSV of at most MAX_BYTES.
    let upload = app.files.upload_form(&job.object_key, "text/csv", crate::csv_rows::MAX_BYTES).await?;
    app.store.put(job.to_item()?).await?;
    Ok(Reply::created(format!("/v1/jobs/{}", job.id), Started { job: crate::job::public(&job), upload }))
}

/// A new import: the job, and the presigned form its CSV goes up with.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Started {
    pub job: crate::job::JobView,
    pub upload: crm_files::policy::UploadForm,
}
