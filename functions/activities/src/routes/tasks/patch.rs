//! `PATCH /v1/tasks/{id}` — change fields (`If-Match` honoured); the owner,
//! the creator, a manager or an admin. A new owner is notified; moving to
//! `done` stamps `completed_at`, leaving it clears it. `task.updated`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::task::{Task, TaskChanges, TaskFields};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let current = super::load(app, &call).await?;
    let changes: TaskChanges = call.json()?;
    super::require_change(&p, &current)?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let fields = TaskFields::apply(&current.fields, changes)?;
    let reassigned = fields.owner_user_id != current.fields.owner_user_id;
    let assignee = match (reassigned, fields.owner_user_id) {
        (true, Some(u)) => Some(crate::assignee::owner(app, t, u).await?),
        _ => None,
    };
    let now = Timestamp::now();
    use crate::task::TaskStatus::Done;
    let completed_at = match (current.fields.status, fields.status) {
        (s, Done) if s != Done => Some(now),
        (_, Done) => current.completed_at,
        _ => None,
    };
    let next = Task { fields, completed_at, updated_at: now, version: current.version + 1, ..current.clone() };
    let event = super::event(
        &call,
        crm_events::types::TASK_UPDATED,
        &next,
        json!({ "status": next.fields.status, "owner_user_id": next.fields.owner_user_id, "due_at": next.fields.due_at }),
    )?;
    let tx = Tx::new().put_if("task", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    let mut tx = next.linker().write(tx, &current.fields.links, &next.fields.links)?;
    if let (Some(a), true) = (&assignee, next.fields.owner_user_id != Some(p.user_id)) {
        tx = crate::assignee::notify_assignee(tx, &next, a, &p.user_id.to_string())?;
    }
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::ok(&next).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
