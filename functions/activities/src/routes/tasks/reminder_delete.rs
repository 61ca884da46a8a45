//! `DELETE /v1/tasks/{id}/reminders/{reminderId}` — cancel a pending
//! reminder: its schedule is removed and the item marked `cancelled` (a
//! schedule that fires anyway finds it cancelled and sends nothing).
//! A reminder already sent or cancelled is `409`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::reminder::{Reminder, ReminderStatus};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let task = super::load(app, &call).await?;
    super::require_change(&p, &task)?;
    let id = EntityId::parse(&call.path("reminderId")?).map_err(|_| AppError::NotFound)?;
    let r: Reminder = app.store.get_as(&Reminder::key(task.tenant_id, task.id, id)).await?.ok_or(AppError::NotFound)?;
    if r.status != ReminderStatus::Pending {
        return Err(AppError::Conflict(format!("the reminder is already {:?}", r.status).to_lowercase()));
    }
    let next =
        Reminder { status: ReminderStatus::Cancelled, reason: Some("cancelled_by_user".into()), version: r.version + 1, ..r.clone() };
    let event =
        super::event(&call, crm_events::types::REMINDER_CANCELLED, &task, json!({ "reminder_id": r.id, "remind_at": r.remind_at }))?;
    match app.store.transact(Tx::new().put_if("reminder", next.to_item()?, Condition::version_is(r.version)).emit_audited(&event)).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { .. }) => {
            return Err(AppError::Conflict("the reminder changed meanwhile (it may have fired)".into()))
        }
        Err(e) => return Err(e.into()),
    }
    app.scheduler.cancel(&r.schedule_name()).await?;
    Ok(Reply::no_content())
}
