//! `POST /v1/tasks/{id}/complete` — mark done (again: no change); `task.completed`.
//! Completing a task is an approvable action (`task.complete`; the spec:
//! "certain task completions can trigger approval checks"): when an active
//! policy applies (say `priority eq high`), the task stays open and the
//! answer is `202` with the approval request; once approved, completing it
//! again goes through and consumes the approval.

use crm_approvals::Gate;
use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::task::{Task, TaskStatus};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    super::require_change(&p, &current)?;
    if current.fields.status == TaskStatus::Done {
        return Ok(Reply::ok(Completion::Done(current.clone())).etag(current.version));
    }
    if current.fields.status == TaskStatus::Cancelled {
        return Err(AppError::Conflict("a cancelled task cannot be completed; reopen it first".into()));
    }
    let check = crm_approvals::Check {
        action_code: "task.complete".into(),
        object_type: "task".into(),
        object_id: current.id.to_string(),
        payload: json!({ "priority": current.fields.priority, "title": current.fields.title, "owner_user_id": current.fields.owner_user_id, "related": current.fields.related }),
    };
    let tx = match crm_approvals::check_and_maybe_enqueue(&app.store, &p, &check).await? {
        Gate::Proceed => Tx::new(),
        Gate::Granted(grant) => grant.consume(Tx::new()),
        Gate::Pending(pending) => {
            let request = pending.commit(&app.store).await?;
            return Ok(Reply::with_status(202, Completion::Held { task: current, approval_request: Box::new(request) }));
        }
    };
    let now = Timestamp::now();
    let mut next = Task { completed_at: Some(now), updated_at: now, version: current.version + 1, ..current.clone() };
    next.fields.status = TaskStatus::Done;
    let event = super::event(
        &call,
        crm_events::types::TASK_COMPLETED,
        &next,
        json!({ "title": next.fields.title, "owner_user_id": next.fields.owner_user_id }),
    )?;
    match app.store.transact(tx.put_if("task", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event)).await {
        Ok(()) => Ok(Reply::ok(Completion::Done(next.clone())).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}

/// What completing a task did: done (`200`), or held for approval (`202`).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Completion {
    /// The task, completed.
    Done(Task),
    /// A policy holds it: the task as it is, and the approval request.
    Held { task: Task, approval_request: Box<crm_approvals::request::ApprovalRequest> },
}
