//! `GET /v1/admin/notifications/{userId}` — a user's inbox, for an admin
//! (a user of another tenant: 404).

use crm_http::{Call, Reply};
use crm_kernel::{AppError, UserId};

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let user = UserId::parse(&call.path("userId")?).map_err(|_| AppError::NotFound)?;
    crm_directory::get(&app.store, t, user).await?.ok_or(AppError::NotFound)?;
    super::list(app, &call, t, user).await
}
