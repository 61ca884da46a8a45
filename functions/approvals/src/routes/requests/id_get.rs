//! `GET /v1/approvals/requests/{id}` — one request with its steps, current
//! approvers and every decision (to its requester, its approvers, deciders).

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let r = super::load(app, &call).await?;
    Ok(Reply::ok(&r).etag(r.version))
}
