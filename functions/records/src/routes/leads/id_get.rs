//! `GET /v1/leads/{id}` — one lead with its score parts, duplicates and conversion.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let l = super::load(app, &call).await?;
    Ok(Reply::ok(&l).etag(l.version))
}
