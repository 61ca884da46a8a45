//! `GET /v1/pipelines/{id}` — one pipeline and its stages.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let pipeline = super::load(app, &call).await?;
    Ok(Reply::ok(&pipeline).etag(pipeline.version))
}
