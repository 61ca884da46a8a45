//! `GET /v1/admin/users/{id}` — one user, with its `ETag`.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let user = super::target(app, &call).await?;
    Ok(Reply::ok(user.public()).etag(user.version))
}
