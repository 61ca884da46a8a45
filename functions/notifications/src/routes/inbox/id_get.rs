//! `GET /v1/me/notifications/{id}` — one of the caller's entries.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let e = super::own(app, &call).await?;
    Ok(Reply::ok(&e).etag(e.version))
}
