//! `GET /v1/me/notifications?is_read=&since=` — the caller's inbox, newest
//! first, cursor paginated.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    super::list(app, &call, p.tenant_id, p.user_id).await
}
