//! `GET /v1/payment-plans/{id}`.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let plan = super::load(app, &call).await?;
    let version = plan.version;
    Ok(Reply::ok(plan).etag(version))
}
