//! Activities: notes and tasks on any record, and the tenant's activity feed (a
//! projection of every domain event, read by people and by the daily digest).
//!
//! * API routes: [`ROUTES`], dispatched by [`App::handle`].
//! * Worker `activity_feed`: [`feed::project`] on the activity queue, and
//!   [`relink::on_merged`] (a merged contact's timeline follows it; its
//!   deals follow through the deals context's own `deal_relink` worker).
//! * Function `reminder`: [`fire::fire`], invoked by a reminder's one-time schedule.

pub mod activity;
pub mod assignee;
pub mod feed;
pub mod fire;
pub mod links;
pub mod note;
pub mod relink;
pub mod reminder;
pub mod routes;
pub mod task;

use crm_auth::rbac;
use crm_events::consumer::{process_batch, SqsEvent};
use crm_events::BatchResponse;
use crm_http::{route, Access, Route};
use crm_store::Store;
use lambda_http::{Body, Request, Response};

/// What every handler of this context shares; built once per execution
/// environment.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub scheduler: crm_schedule::Scheduler,
}

impl App {
    pub fn new(config: &aws_config::SdkConfig, env: &crm_kernel::Env) -> Result<Self, String> {
        Ok(Self {
            store: Store::from_config(config, env).map_err(|e| e.to_string())?,
            scheduler: crm_schedule::Scheduler::new(config, env, "REMINDER", "reminder"),
        })
    }

    /// Serves one request; a refusal for a security rule is audited
    /// (`security.refused`) in the caller's tenant.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        crm_events::audit::serve(ROUTES, self, &self.store, req).await
    }

    /// The `reminder` handler: the schedule's input, decoded.
    pub async fn run_reminder(&self, event: serde_json::Value) -> Result<serde_json::Value, String> {
        let fire = crm_runtime::decode("reminder", event)?;
        self.handle_reminder(fire).await.map_err(|e| e.to_string())
    }

    /// The `reminder` function: one reminder's schedule firing.
    pub async fn handle_reminder(&self, fire: reminder::Fire) -> Result<serde_json::Value, crm_kernel::AppError> {
        fire::fire(self, fire).await
    }

    /// The `activity_feed` worker.
    pub async fn handle_feed_batch(&self, event: SqsEvent) -> BatchResponse {
        process_batch(feed::CONSUMER, event, |e| async move {
            relink::on_merged(&self.store, &e).await?;

            feed::project(&self.store, e).await
        })
        .await
    }
}

/// The routes of this context, exactly as template.yaml declares them.
pub const ROUTES: &[Route<App>] = &[
    route!(
        "POST /v1/notes",
        "NotesCreate",
        Access::Permission(rbac::NOTE_CREATE),
        routes::notes::post::handle,
        "Create note",
        body: note::CreateNoteRequest,
        reply: note::Note,
    ),
    route!(
        "GET /v1/notes",
        "NotesList",
        Access::Permission(rbac::NOTE_READ),
        routes::notes::list::handle,
        "List notes",
        query: crate::routes::notes::list::NotesQuery, reply: Vec<note::Note>),
    route!("GET /v1/notes/{id}", "NotesGet", Access::Permission(rbac::NOTE_READ), routes::notes::get::handle, "Get note", reply: note::Note),
    route!("GET /v1/activity", "ActivityList", Access::Permission(rbac::ACTIVITY_READ), routes::activity::list::handle, "List activity", query: crate::routes::activity::list::ActivityQuery, reply: Vec<crate::feed::FeedEntry>),
    route!(
        "POST /v1/activities",
        "ActivitiesCreate",
        Access::Permission(rbac::ACTIVITY_CREATE),
        routes::activities::post::handle,
        "Create activity (log a call, email, meeting or note)", body: crate::activity::ActivityChanges, reply: crate::activity::Activity),
    route!(
        "GET /v1/activities",
        "ActivitiesList",
        Access::Permission(rbac::ACTIVITY_READ),
        routes::activities::get::handle,
        "List activities", query: crate::routes::activities::get::ActivitiesQuery, reply: Vec<crate::activity::Activity>),
    route!(
        "GET /v1/activities/{id}",
        "ActivitiesGet",
        Access::Permission(rbac::ACTIVITY_READ),
        routes::activities::id_get::handle,
        "Get activity", reply: crate::activity::Activity),
    route!(
        "PATCH /v1/activities/{id}",
        "ActivitiesUpdate",
        Access::Permission(rbac::ACTIVITY_UPDATE),
        routes::activities::patch::handle,
        "Update activity (If-Match)", body: crate::activity::ActivityChanges, reply: crate::activity::Activity, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/activities/{id}",
        "ActivitiesDelete",
        Access::Permission(rbac::ACTIVITY_DELETE),
        routes::activities::delete::handle,
        "Delete activity", reply: crm_http::contract::NoContent, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "GET /v1/timeline",
        "Timeline",
        Access::Permission(rbac::ACTIVITY_READ),
        routes::timeline::get::handle,
        "Timeline (notes and tasks merged, newest first)", query: crate::routes::timeline::get::TimelineQuery, reply: Vec<crate::routes::timeline::get::TimelineEntry>),
    route!(
        "POST /v1/tasks",
        "TasksCreate",
        Access::Permission(rbac::TASK_CREATE),
        routes::tasks::post::handle,
        "Create task (the assignee is notified)", body: crate::task::TaskChanges, reply: crate::task::Task, errors: [412 "PRECONDITION_FAILED"]),
    route!("GET /v1/tasks", "TasksList", Access::Permission(rbac::TASK_READ), routes::tasks::get::handle, "List tasks", query: crate::routes::tasks::get::TasksQuery, reply: Vec<crate::task::Task>, errors: [412 "PRECONDITION_FAILED"]),
    route!("GET /v1/tasks/{id}", "TasksGet", Access::Permission(rbac::TASK_READ), routes::tasks::id_get::handle, "Get task", reply: crate::task::Task, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "PATCH /v1/tasks/{id}",
        "TasksUpdate",
        Access::Permission(rbac::TASK_UPDATE),
        routes::tasks::patch::handle,
        "Update task (If-Match)", body: crate::task::TaskChanges, reply: crate::task::Task, errors: [412 "PRECONDITION_FAILED"]),
    route!("DELETE /v1/tasks/{id}", "TasksDelete", Access::Permission(rbac::TASK_DELETE), routes::tasks::delete::handle, "Delete task", reply: crm_http::contract::NoContent, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/tasks/{id}/complete",
        "TasksComplete",
        Access::Permission(rbac::TASK_COMPLETE),
        routes::tasks::complete_post::handle,
        "Complete task", reply: crate::routes::tasks::complete_post::Completion, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/tasks/{id}/remind",
        "TaskRemind",
        Access::Permission(rbac::TASK_UPDATE),
        routes::tasks::remind_post::handle,
        "Remind task (one-time EventBridge Scheduler schedules)", body: crate::reminder::RemindRequest, reply: crate::routes::tasks::remind_post::Scheduled, errors: [402 "PLAN_REQUIRED", 412 "PRECONDITION_FAILED", 422 "LIMIT_REACHED", 422 "TASK_CLOSED"]),
    route!(
        "GET /v1/tasks/{id}/reminders",
        "TaskRemindersList",
        Access::Permission(rbac::TASK_READ),
        routes::tasks::reminders_get::handle,
        "List task reminders", reply: Vec<crate::reminder::Reminder>, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/tasks/{id}/reminders/{reminderId}",
        "TaskReminderCancel",
        Access::Permission(rbac::TASK_UPDATE),
        routes::tasks::reminder_delete::handle,
        "Cancel task reminder (cancel a pending reminder)", reply: crm_http::contract::NoContent, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
];

crm_runtime::function! {
    binary: "activities",
    app: App,
    build: App::new,
    handlers: { http "api" => App::handle, sqs "activity_feed" => App::handle_feed_batch, json "reminder" => App::run_reminder },
}
