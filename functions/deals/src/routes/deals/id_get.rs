//! `GET /v1/deals/{id}` — one deal (another tenant's id, or one the caller may not see: `404`).

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let d = super::load(app, &call).await?;
    Ok(Reply::ok(d.public(call.principal()?)).etag(d.version))
}
