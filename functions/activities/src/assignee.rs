//! Owners of tasks and activities: who may be one (a user of the tenant not
//! deactivated), and the notice a new task owner gets.

use crm_directory::UserView;
use crm_kernel::{AppError, EntityId, TenantId, UserId};
use crm_notify::compose::{compose, Mirror, Recipient, Send};
use crm_notify::messages::{Channel, Message, MessageKind, QueueExt};
use crm_store::Tx;
use serde_json::json;

use crate::task::Task;
use crate::App;

/// A user of the tenant who may own a task or activity (not deactivated), or `400`.
pub async fn owner(app: &App, t: TenantId, user: UserId) -> Result<UserView, AppError> {
    crm_directory::get(&app.store, t, user)
        .await?
        .filter(|u| !u.is_deactivated())
        .ok_or_else(|| AppError::invalid("owner_user_id", "is not a user of this tenant"))
}

/// "A task was assigned to you": email and inbox to the new owner, queued
/// in the task's own transaction (the spec: task assignment notifies the assignee).
pub fn notify_assignee(tx: Tx, task: &Task, assignee: &UserView, by: &str) -> Result<Tx, AppError> {
    let Some(user) = task.fields.owner_user_id else { return Ok(tx) };
    let payload = json!({
        "title": task.fields.title, "by": by,
        "due": task.fields.due_at.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
        "priority": task.fields.priority,
    });
    let recipient =
        Recipient { email: Some(assignee.email.clone()), phone: None, user_id: Some(user), locale: assignee.locale().map(str::to_string) };
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
