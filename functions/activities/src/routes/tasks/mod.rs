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
use crm_events::messages::{Channel, Message, MessageKind, QueueExt};
use crm_events::{Actor, DomainEvent, Subject};
use crm_http::Call;
use crm_kernel::{AppError, EntityId, TenantId, UserId};
use crm_notify::compose::{compose, Mirror, Recipient, Send};
use crm_store::Tx;
use serde_json::{json, Value};

use crate::task::Task;
use crate::App;

pub(crate) async fn load(app: &App, call: &Call) -> Result<Task, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let x: Task = app.store.get_as(&Task::key(p.tenant_id, id)).await?.ok_or(AppError::NotFound)?;
    super::require_visible(app, p, x.fields.owner_user_id, x.created_by).await?;
    Ok(x)
}

pub(crate) fn event(call: &Call, kind: &str, task: &Task, data: Value) -> Result<DomainEvent, AppError> {
    let p = call.principal()?;
    Ok(DomainEvent::new(p.tenant_id, kind, Actor::user(p.user_id), Subject { kind: "task".into(), id: task.id.to_string() }, data)
        .with_request_id(call.request_id()))
}

pub(crate) fn require_change(p: &Principal, task: &Task) -> Result<(), AppError> {
    super::require_change(p, task.fields.owner_user_id, task.created_by)
}

/// A user of the tenant as a recipient (their email, locale), or `400`.
pub(crate) async fn owner(app: &App, t: TenantId, user: UserId) -> Result<Value, AppError> {
    app.store
        .get_as::<Value>(&crm_store::keys::user(t, &user.to_string()))
        .await?
        .filter(|u| u["status"] != "deactivated")
        .ok_or_else(|| AppError::invalid("owner_user_id", "is not a user of this tenant"))
}

/// "A task was assigned to you": email and inbox to the new owner, queued
/// in the task's own transaction (M3CoreCRM §4 "assignment notifies").
pub(crate) fn notify_assignee(tx: Tx, task: &Task, assignee: &Value, by: &str) -> Result<Tx, AppError> {
    let Some(user) = task.fields.owner_user_id else { return Ok(tx) };
    let payload = json!({
        "title": task.fields.title, "by": by,
        "due": task.fields.due_at.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
        "priority": task.fields.priority,
    });
    let recipient = Recipient {
        email: assignee["email"].as_str().map(str::to_string),
        phone: None,
        user_id: Some(user),
        locale: assignee["profile"]["locale"].as_str().map(str::to_string),
    };
    let mut tx = tx;
    let mut group: Option<(EntityId, EntityId)> = None;
    for channel in [Channel::Email, Channel::Inbox] {
        if channel == Channel::Email && recipient.email.is_none() {
            continue;
        }
        let send = Send {
            tenant_id: task.tenant_id,
            channel,
            family: "task.assigned".into(),
            payload: payload.as_object().cloned().unwrap_or_default(),
            kind: MessageKind::Transactional,
            mirror: Mirror { email: false, inbox: false },
            scheduled_at: None,
            source: "activities.task_assigned".into(),
            marketing_email_ok: false,
        };
        let mut m: Message = compose(&send, &recipient, &[], None)?.messages.remove(0);
        match group {
            None => group = m.dispatch_group_id.map(|g| (g, m.id)),
            Some((g, first)) => {
                m.dispatch_group_id = Some(g);
                m.mirror_of = Some(first);
            }
        }
        tx = tx.queue_message(&m)?;
    }
    Ok(tx)
}
