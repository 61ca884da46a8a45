//! The reminder function (`HANDLER=reminder`): what a reminder's schedule
//! invokes at `remind_at` with its [`Fire`]. It tells the task's owner —
//! email, inbox, SMS or WhatsApp as the reminder asks, through the
//! notifications core (templates `task.reminder`, the owner's locale; SMS
//! and WhatsApp only to a verified phone and held while do-not-disturb is
//! on) — and marks the reminder `sent` with its messages and `reminder.sent`,
//! all in one transaction under the version it read. A second delivery of
//! the same schedule finds the reminder no longer pending and does nothing;
//! a reminder of a closed or deleted task is `cancelled` instead.

use crm_events::audit::AuditExt;
use crm_events::{Actor, DomainEvent, Subject};
use crm_kernel::{AppError, Timestamp, UserId};
use crm_notify::compose::{compose, Mirror, Recipient, Send};
use crm_notify::messages::{count_usage, Channel, Message, MessageKind, QueueExt};
use crm_notify::preferences::Preferences;
use crm_store::tx::Condition;
use crm_store::{item, StoreError, Tx};
use serde_json::{json, Value};

use crate::reminder::{Fire, Reminder, ReminderStatus};
use crate::task::Task;
use crate::App;

/// Fires one reminder; answers what happened (`sent`, `cancelled`, `skipped`).
pub async fn fire(app: &App, f: Fire) -> Result<Value, AppError> {
    let t = f.tenant_id;
    let found = app.store.get_many(&[Reminder::key(t, f.task_id, f.reminder_id), Task::key(t, f.task_id)]).await?;
    let Some(r) = found[0].clone().map(item::from_item::<Reminder>).transpose()? else {
        return Ok(json!({ "outcome": "skipped", "why": "no such reminder" }));
    };
    if r.status != ReminderStatus::Pending {
        return Ok(json!({ "outcome": "skipped", "why": "not pending" }));
    }
    let task = found[1].clone().map(item::from_item::<Task>).transpose()?;
    let now = Timestamp::now();
    let open = task.as_ref().filter(|t| !t.fields.status.is_closed());
    let Some(task) = open else {
        let next = Reminder {
            status: ReminderStatus::Cancelled,
            reason: Some("task_closed".into()),
            fired_at: Some(now),
            version: r.version + 1,
            ..r.clone()
        };
        return write(app, &r, next, Tx::new(), "cancelled").await;
    };
    let owner = recipient_of(task);
    let user = crm_directory::get(&app.store, t, owner).await?;
    let prefs: Preferences = app.store.get_as(&Preferences::key(t, owner)).await?.unwrap_or_default();
    let user = user.filter(|u| !u.is_deactivated());
    let mut messages: Vec<Message> = Vec::new();
    let mut skipped = Vec::new();
    if let Some(u) = &user {
        let recipient = Recipient {
            email: Some(u.email.clone()),
            phone: u.verified_phone().cloned(),
            user_id: Some(owner),
            locale: prefs.locale.clone().or_else(|| u.locale().map(str::to_string)),
        };
        let payload = json!({
            "title": task.fields.title,
            "due": task.fields.due_at.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
            "priority": task.fields.priority,
        });
        for channel in &r.channels {
            let reachable = match channel {
                Channel::Email => recipient.email.is_some(),
                Channel::Sms | Channel::Whatsapp => recipient.phone.is_some(),
                Channel::Inbox => true,
            };
            if !reachable {
                skipped.push(json!({ "channel": channel, "why": "no verified address" }));
                continue;
            }
            let held = matches!(channel, Channel::Sms | Channel::Whatsapp).then_some(prefs.dnd_until).flatten().filter(|d| *d > now);
            let send = Send {
                tenant_id: t,
                channel: channel.clone(),
                family: "task.reminder".into(),
                payload: payload.as_object().cloned().unwrap_or_default(),
                kind: MessageKind::Transactional,
                mirror: Mirror { email: false, inbox: false },
                scheduled_at: held,
                source: "activities.task_reminder".into(),
                marketing_email_ok: false,
            };
            let overrides = crm_notify::tenant::overrides(&app.store, t, &send.family).await?;
            messages.push(compose(&send, &recipient, &overrides, None)?.messages.remove(0));
        }
    } else {
        skipped.push(json!({ "why": "the owner is no longer a user" }));
    }
    let next = Reminder {
        status: ReminderStatus::Sent,
        fired_at: Some(now),
        message_ids: messages.iter().map(|m| m.id).collect(),
        version: r.version + 1,
        ..r.clone()
    };
    let event = DomainEvent::new(
        t,
        crm_events::types::REMINDER_SENT,
        Actor::system(),
        Subject { kind: "task".into(), id: task.id.to_string() },
        json!({ "reminder_id": r.id, "owner_user_id": owner, "channels": r.channels, "message_ids": next.message_ids, "skipped": skipped }),
    );
    let mut tx = Tx::new().emit_audited(&event);
    for m in &messages {
        tx = tx.queue_message(m)?;
    }
    write(app, &r, next, count_usage(tx, &messages), "sent").await
}

async fn write(app: &App, read: &Reminder, next: Reminder, tx: Tx, outcome: &str) -> Result<Value, AppError> {
    match app.store.transact(tx.put_if("reminder", next.to_item()?, Condition::version_is(read.version))).await {
        Ok(()) => Ok(json!({ "outcome": outcome, "reminder_id": next.id, "message_ids": next.message_ids })),
        Err(StoreError::ConditionFailed { .. }) => Ok(json!({ "outcome": "skipped", "why": "handled concurrently" })),
        Err(e) => Err(e.into()),
    }
}

/// Who a reminder is for when the task has no owner: its creator.
pub fn recipient_of(task: &Task) -> UserId {
    task.fields.owner_user_id.unwrap_or(task.created_by)
}
