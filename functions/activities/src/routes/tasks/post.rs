//! `POST /v1/tasks` — create a task (owner defaults to the caller). One
//! transaction: the task, `task.created` (audited) and — when it is
//! assigned to someone else — their email and inbox notification.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::Tx;
use serde_json::json;

use crate::task::{Task, TaskChanges, TaskFields};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let changes: TaskChanges = call.json()?;
    let owner_given = changes.owner_user_id.is_present();
    let mut fields = TaskFields::apply(&TaskFields::blank(), changes)?;
    if !owner_given {
        fields.owner_user_id = Some(p.user_id);
    }
    let assignee = match fields.owner_user_id {
        Some(u) => Some(crate::assignee::owner(app, t, u).await?),
        None => None,
    };
    let now = Timestamp::now();
    let done = fields.status == crate::task::TaskStatus::Done;
    let task = Task {
        id: EntityId::new(),
        tenant_id: t,
        fields,
        created_by: p.user_id,
        created_at: now,
        updated_at: now,
        completed_at: done.then_some(now),
        version: 1,
    };
    let event = super::event(
        &call,
        crm_events::types::TASK_CREATED,
        &task,
        json!({ "title": task.fields.title, "owner_user_id": task.fields.owner_user_id, "due_at": task.fields.due_at, "related": task.fields.related }),
    )?;
    let mut tx = task.linker().write(Tx::new().put_new("task", task.to_item()?).emit_audited(&event), &[], &task.fields.links)?;
    if let (Some(a), true) = (&assignee, task.fields.owner_user_id != Some(p.user_id)) {
        tx = crate::assignee::notify_assignee(tx, &task, a, &p.user_id.to_string())?;
    }
    app.store.transact(tx).await?;
    Ok(Reply::created(format!("/v1/tasks/{}", task.id), &task).etag(task.version))
}
