//! `GET /v1/contacts/{id}` — one contact (another tenant's id: 404).

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let c = super::load(app, &call).await?;
    Ok(Reply::ok(crate::contacts::public(&c, call.principal()?)).etag(c.version))
}
