//! `GET /v1/admin/notification-policies` — the tenant's policy (the
//! defaults until an admin saves one).

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::policy::Policy;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = Policy::load(&app.store, call.principal()?.tenant_id).await?;
    Ok(Reply::ok(&p).etag(p.version))
}
