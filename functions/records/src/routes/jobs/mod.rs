//! `GET /v1/jobs`, `GET /v1/jobs/{id}`, `POST /v1/jobs/{id}/start` — imports
//! and exports as background jobs. A job is its creator's (and visible to
//! managers and admins); anyone else gets `404`.

pub mod get;
pub mod id_get;
pub mod start_post;

use crm_http::Call;
use crm_kernel::{AppError, EntityId};

use crate::job::Job;
use crate::App;

pub(crate) async fn load(app: &App, call: &Call) -> Result<Job, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let job: Job = app.store.get_as(&Job::key(p.tenant_id, id)).await?.ok_or(AppError::NotFound)?;
    if job.created_by == p.user_id || super::may_edit(p, Some(job.created_by)) {
        Ok(job)
    } else {
        Err(AppError::NotFound)
    }
}
