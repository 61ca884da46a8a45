//! `POST /v1/contacts/export` `{owner?, company?, lifecycle?, search?}` —
//! exports the contacts the same filter lists (the list's own code reads
//! them) to a CSV in the files bucket, as a job; `GET /v1/jobs/{id}` gives
//! its download URL once completed.

use crm_events::outbox::EmitExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::Tx;
use serde_json::json;

use crate::contacts::list::Filter;
use crate::job::{Job, JobKind, JobStatus};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let mut filter: Filter = call.json()?;
    filter.validate()?;
    if filter.owner.as_deref() == Some("me") {
        filter.owner = Some(p.user_id.to_string());
    }
    let now = Timestamp::now();
    let name = format!("contacts-{}.csv", &now.to_string()[..10]);
    let mut job = Job::new(JobKind::ContactsExport, p.tenant_id, p.user_id, &name, now);
    job.status = JobStatus::Queued;
    job.filter = serde_json::to_value(&filter).unwrap_or_default();
    job.download_name = Some(name);
    (job.viewer_roles, job.viewer_scope, job.viewer_permissions) = (p.roles.clone(), p.scope.clone(), p.permissions.clone());
    let event = crate::jobs::event(&job, crm_events::types::JOB_QUEUED, json!({ "kind": job.kind }));
    app.store.transact(Tx::new().put_new("job", job.to_item()?).emit(&event)).await?;
    Ok(Reply::with_status(202, crate::job::public(&job)))
}
