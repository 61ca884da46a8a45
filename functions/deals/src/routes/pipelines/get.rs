//! `GET /v1/pipelines` — the tenant's pipelines with their stages, oldest first.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Limit};

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let all = crm_deals::write::pipelines(&app.store, p.tenant_id).await?;
    Ok(Reply::list(all, Limit::max(), None))
}
