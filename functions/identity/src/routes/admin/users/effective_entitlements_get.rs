//! `GET /v1/admin/users/{id}/effective-entitlements` — the same answer as
//! `GET /v1/admin/entitlements/effective?userId={id}`: roles, permissions,
//! features and limits, each with its source.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let user = super::target(app, &call).await?;
    Ok(Reply::ok(crate::access::effective(app, &user).await?))
}
