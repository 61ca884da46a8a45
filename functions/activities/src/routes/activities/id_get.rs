//! `GET /v1/activities/{id}` — one activity (another tenant's id: 404).

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let a = super::load(app, &call).await?;
    Ok(Reply::ok(&a).etag(a.version))
}
