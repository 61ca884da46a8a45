//! `GET /v1/tasks/{id}` — one task (another tenant's id: 404).

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let task = super::load(app, &call).await?;
    Ok(Reply::ok(&task).etag(task.version))
}
