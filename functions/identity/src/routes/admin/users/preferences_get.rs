//! `GET /v1/admin/users/{id}/preferences` — the user's notification
//! preferences (the defaults until someone saves them).

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_notify::preferences::Preferences;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let user = super::target(app, &call).await?;
    let prefs: Preferences = app.store.get_as(&Preferences::key(user.tenant_id, user.id)).await?.unwrap_or_default();
    Ok(Reply::ok(&prefs).etag(prefs.version))
}
