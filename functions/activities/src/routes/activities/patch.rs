//! `PATCH /v1/activities/{id}` — change fields (`If-Match` honoured); the
//! owner, the creator, a manager or an admin; `activity.updated`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::activity::{Activity, ActivityChanges, ActivityFields};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    let changes: ActivityChanges = call.json()?;
    crate::routes::require_change(&p, current.fields.owner_user_id, current.created_by)?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let fields = ActivityFields::apply(&current.fields, changes)?;
    if let (Some(u), true) = (fields.owner_user_id, fields.owner_user_id != current.fields.owner_user_id) {
        crate::assignee::owner(app, p.tenant_id, u).await?;
    }
    let next = Activity { fields, updated_at: Timestamp::now(), version: current.version + 1, ..current.clone() };
    let event =
        super::event(&call, crm_events::types::ACTIVITY_UPDATED, &next, json!({ "type": next.fields.kind, "title": next.fields.title }))?;
    let tx = Tx::new().put_if("activity", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    match app.store.transact(next.linker().write(tx, &current.fields.links, &next.fields.links)?).await {
        Ok(()) => Ok(Reply::ok(&next).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
