//! `GET /v1/jobs`, `GET /v1/jobs/{id}`, `POST /v1/jobs/{id}/start` — imports
//! and exports of every context as background jobs ([`crm_jobs`]). A job is
//! its creator's (and visible to managers and admins); anyone else gets
//! `404`. Following one takes its kind's read permission (`contact.read`,
//! `lead.read`, `unit.read`, `overlay.read`), starting one its kind's import
//! permission (`contact.create`, `lead.import`, `unit.update`, `shape.manage`).

pub mod get;
pub mod id_get;
pub mod start_post;

use crm_auth::Permission;
use crm_http::Call;
use crm_jobs::{Job, JobKind};
use crm_kernel::{AppError, EntityId};

use crate::App;

/// The job `{id}` the caller may see, if they hold what `needs` asks of its kind.
pub(crate) async fn load(app: &App, call: &Call, needs: fn(JobKind) -> Permission) -> Result<Job, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let job: Job = app.store.get_as(&Job::key(p.tenant_id, id)).await?.ok_or(AppError::NotFound)?;
    if !(job.created_by == p.user_id || super::may_edit(p, Some(job.created_by))) {
        return Err(AppError::NotFound);
    }
    p.require(needs(job.kind))?;
    Ok(job)
}
