//! `GET /v1/approvals/policies/{id}` — one policy, with the version its
//! `PATCH` and `DELETE` take in `If-Match`.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let policy = super::load(app, &call).await?;
    Ok(Reply::ok(&policy).etag(policy.version))
}
