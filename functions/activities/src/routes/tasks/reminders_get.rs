//! `GET /v1/tasks/{id}/reminders` — the task's reminders by time, with their
//! status (`pending`, `sent`, `cancelled`) and the messages they sent.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let task = super::load(app, &call).await?;
    let mut reminders = super::remind_post::all(app, &task).await?;
    reminders.sort_by_key(|r| (r.remind_at, r.id));
    Ok(Reply::ok(reminders))
}
