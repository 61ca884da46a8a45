//! `POST /v1/tasks/{id}/complete` — mark done (again: no change); `task.completed`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::task::Task;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    super::require_change(&p, &current)?;
    if current.fields.status == "done" {
        return Ok(Reply::ok(&current).etag(current.version));
    }
    if current.fields.status == "cancelled" {
        return Err(AppError::Conflict("a cancelled task cannot be completed; reopen it first".into()));
    }
    let now = Timestamp::now();
    let mut next = Task { completed_at: Some(now), updated_at: now, version: current.version + 1, ..current.clone() };
    next.fields.status = "done".into();
    let event =
        super::event(&call, "task.completed", &next, json!({ "title": next.fields.title, "owner_user_id": next.fields.owner_user_id }))?;
    match app.store.transact(Tx::new().put_if("task", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event)).await {
        Ok(()) => Ok(Reply::ok(&next).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
