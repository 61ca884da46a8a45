//! `GET /v1/me/notification-preferences` — the caller's preferences (the
//! defaults until saved).

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_notify::preferences::Preferences;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let prefs: Preferences = app.store.get_as(&Preferences::key(p.tenant_id, p.user_id)).await?.unwrap_or_default();
    Ok(Reply::ok(&prefs).etag(prefs.version))
}
