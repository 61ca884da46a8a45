//! `GET /v1/approvals/requests`, `GET /v1/approvals/requests/{id}`,
//! `POST /v1/approvals/requests/{id}/approve|reject|cancel`.

pub mod decide;
pub mod get;
pub mod id_get;

use crm_http::Call;
use crm_kernel::{AppError, EntityId};

use crate::App;
use crm_approvals::request::ApprovalRequest;

pub(crate) async fn load(app: &App, call: &Call) -> Result<ApprovalRequest, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let r: ApprovalRequest = app.store.get_as(&ApprovalRequest::key(p.tenant_id, id)).await?.ok_or(AppError::NotFound)?;
    // Deciders see every request; others only their own and those they decide or decided.
    let involved =
        r.requester_user_id == p.user_id || r.approvers.contains(&p.user_id) || r.actions.iter().any(|a| a.approver_user_id == p.user_id);
    if involved || p.can(crm_auth::rbac::APPROVALS_DECIDE) {
        Ok(r)
    } else {
        Err(AppError::NotFound)
    }
}
