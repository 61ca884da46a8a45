//! `PUT /v1/admin/users/{id}/preferences` — an admin edits a user's
//! notification preferences (fields absent keep their value; `If-Match`
//! honoured). Audited `user.preferences.updated`.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_notify::preferences::{Preferences, PreferencesUpdate};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let update: PreferencesUpdate = call.json()?;
    let user = super::target(app, &call).await?;
    let current: Preferences = app.store.get_as(&Preferences::key(user.tenant_id, user.id)).await?.unwrap_or_default();
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let next = current.apply(update)?;
    let condition = if current.version == 0 { Condition::not_exists() } else { Condition::version_is(current.version) };
    let event = super::super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::USER_PREFERENCES_UPDATED,
        p.user_id,
        Subject { kind: "user".into(), id: user.id.to_string() },
        json!({ "preferences": next }),
    );
    match app.store.transact(Tx::new().put_if("preferences", next.to_item(user.tenant_id, user.id)?, condition).emit_audited(&event)).await
    {
        Ok(()) => Ok(Reply::ok(&next).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
