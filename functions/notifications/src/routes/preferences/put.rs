//! `PUT /v1/me/notification-preferences` — the caller edits their own
//! preferences (absent fields keep their value; `If-Match` honoured),
//! audited `user.preferences.updated` like an admin's edit.

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
    let p = call.principal()?.clone();
    let update: PreferencesUpdate = call.json()?;
    let current: Preferences = app.store.get_as(&Preferences::key(p.tenant_id, p.user_id)).await?.unwrap_or_default();
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let next = current.apply(update)?;
    let condition = if current.version == 0 { Condition::not_exists() } else { Condition::version_is(current.version) };
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::USER_PREFERENCES_UPDATED,
        Subject { kind: "user".into(), id: p.user_id.to_string() },
        json!({ "preferences": next }),
    )?;
    match app.store.transact(Tx::new().put_if("preferences", next.to_item(p.tenant_id, p.user_id)?, condition).emit_audited(&event)).await {
        Ok(()) => Ok(Reply::ok(&next).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
