//! `GET /v1/companies/{id}` — one company (another tenant's id: 404).

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let c = super::load(app, &call).await?;
    Ok(Reply::ok(&c).etag(c.version))
}
