//! `POST /v1/tasks/{id}/remind` `{remind_at, channels?}` or `{reminders:
//! [{remind_at, channels?}, …]}` — schedule reminders of an open task
//! (the spec: "reminders fire at `remind_at`, can have multiple
//! channels"): email and inbox by default, SMS and WhatsApp when the plan
//! has them. Each is a one-time schedule created first — a reminder item
//! never exists without its schedule — then all the items and
//! `reminder.scheduled` in one transaction (the schedules are removed
//! again if it fails). At most 10 pending reminders per task.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Limit, Timestamp};
use crm_notify::messages::Channel;
use crm_store::{item, Query, Tx};
use serde_json::json;

use crate::reminder::{self, Reminder, ReminderStatus, MAX_PER_TASK};
use crate::task::Task;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let task = super::load(app, &call).await?;
    let asked: reminder::RemindRequest = call.json()?;
    super::require_change(&p, &task)?;
    if task.fields.status.is_closed() {
        return Err(AppError::Rule {
            code: "TASK_CLOSED",
            message: format!("the task is {}; reopen it to set reminders", task.fields.status),
        });
    }
    let now = Timestamp::now();
    let wanted = reminder::parse(asked, now)?;
    for channel in [Channel::Sms, Channel::Whatsapp] {
        if wanted.iter().any(|(_, cs)| cs.contains(&channel)) {
            p.entitlements.require_feature(&format!("notifications.{}", channel.as_str()))?;
        }
    }
    let pending = pending(app, &task).await?;
    if pending.len() + wanted.len() > MAX_PER_TASK {
        return Err(AppError::LimitReached { key: "task.reminders".into(), limit: MAX_PER_TASK as i64 });
    }
    let reminders: Vec<Reminder> = wanted
        .into_iter()
        .map(|(remind_at, channels)| Reminder {
            id: EntityId::new(),
            tenant_id: task.tenant_id,
            task_id: task.id,
            remind_at,
            channels,
            status: ReminderStatus::Pending,
            created_by: p.user_id,
            created_at: now,
            fired_at: None,
            message_ids: Vec::new(),
            reason: None,
            version: 1,
        })
        .collect();
    let mut scheduled = Vec::new();
    for r in &reminders {
        if let Err(e) = app.scheduler.at(&r.schedule_name(), r.remind_at, &r.fire()).await {
            undo(app, &scheduled).await;
            return Err(e);
        }
        scheduled.push(r.schedule_name());
    }
    let mut tx = Tx::new();
    for r in &reminders {
        let data = json!({ "reminder_id": r.id, "remind_at": r.remind_at, "channels": r.channels, "title": task.fields.title });
        tx = tx.put_new("reminder", r.to_item()?).emit_audited(&super::event(&call, crm_events::types::REMINDER_SCHEDULED, &task, data)?);
    }
    if let Err(e) = app.store.transact(tx).await {
        undo(app, &scheduled).await;
        return Err(e.into());
    }
    Ok(Reply::created(format!("/v1/tasks/{}/reminders", task.id), Scheduled { reminders }))
}

async fn undo(app: &App, names: &[String]) {
    for n in names {
        if let Err(e) = app.scheduler.cancel(n).await {
            tracing::warn!(error = %e, schedule = %n, "could not remove the schedule of a reminder that was not saved");
        }
    }
}

/// The task's reminders (its item collection, `REMINDER#…`), oldest first.
pub(crate) async fn all(app: &App, task: &Task) -> Result<Vec<Reminder>, AppError> {
    let q = Query::table(task.tenant_id, Task::key(task.tenant_id, task.id).pk)
        .sk_begins_with(crm_store::keys::REMINDER_PREFIX)
        .limit(Limit::max());
    Ok(app.store.query(q).await?.items.into_iter().map(item::from_item::<Reminder>).collect::<Result<Vec<_>, _>>()?)
}

async fn pending(app: &App, task: &Task) -> Result<Vec<Reminder>, AppError> {
    Ok(all(app, task).await?.into_iter().filter(|r| r.status == ReminderStatus::Pending).collect())
}

/// What `POST /v1/tasks/{id}/remind` scheduled.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Scheduled {
    pub reminders: Vec<Reminder>,
}
