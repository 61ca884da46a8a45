//! `DELETE /v1/activities/{id}` — the owner, the creator, a manager or an admin; `activity.deleted`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::activity::Activity;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    crate::routes::require_change(&p, current.fields.owner_user_id, current.created_by)?;
    let event = super::event(
        &call,
        crm_events::types::ACTIVITY_DELETED,
        &current,
        json!({ "type": current.fields.kind, "title": current.fields.title }),
    )?;
    let tx = Tx::new()
        .delete("activity", &Activity::key(p.tenant_id, current.id), Some(Condition::version_is(current.version)))
        .emit_audited(&event);
    let tx = current.linker().write(tx, &current.fields.links, &[])?;
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::no_content()),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
