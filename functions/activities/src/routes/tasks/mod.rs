//! Tasks: `POST|GET /v1/tasks`, `GET|PATCH|DELETE /v1/tasks/{id}`,
//! `POST /v1/tasks/{id}/complete`, reminders: `POST /v1/tasks/{id}/remind`,
//! `GET /v1/tasks/{id}/reminders`, `DELETE /v1/tasks/{id}/reminders/{reminderId}`.

pub mod complete_post;
pub mod delete;
pub mod get;
pub mod id_get;
pub mod patch;
pub mod post;
pub mod remind_post;
pub mod reminder_delete;
pub mod reminders_get;

use crm_auth::Principal;
use crm_events::{Actor, DomainEvent, Subject};
use crm_http::Call;
use crm_kernel::{AppError, EntityId};
use serde_json::Value;

use crate::task::Task;
use crate::App;

pub(crate) async fn load(app: &App, call: &Call) -> Result<Task, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let x: Task = app.store.get_as(&Task::key(p.tenant_id, id)).await?.ok_or(AppError::NotFound)?;
    super::require_visible(app, p, x.fields.owner_user_id, x.created_by).await?;
    Ok(x)
}

pub(crate) fn event(call: &Call, kind: crm_events::EventType, task: &Task, data: Value) -> Result<DomainEvent, AppError> {
    let p = call.principal()?;
    Ok(DomainEvent::new(p.tenant_id, kind, Actor::user(p.user_id), Subject { kind: "task".into(), id: task.id.to_string() }, data)
        .with_request_id(call.request_id()))
}

pub(crate) fn require_change(p: &Principal, task: &Task) -> Result<(), AppError> {
    super::require_change(p, task.fields.owner_user_id, task.created_by)
}
