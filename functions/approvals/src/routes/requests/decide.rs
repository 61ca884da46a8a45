//! `POST /v1/approvals/requests/{id}/approve|reject {comment?}` — an approver
//! of the open step decides it; `…/cancel` — the requester withdraws it.
//! One transaction each: the request (under its version), the closed step's
//! queue entries removed, then either the next step opened (approvers
//! resolved, told, queued; `approval.step.opened`), or the request closed —
//! the pending marker released and, when approved, a grant the blocked
//! action consumes when it is tried again (`approval.approved`), else
//! `approval.rejected` / `approval.cancelled`; the requester is told. Every
//! decision is audited.

use crm_events::audit::AuditExt;
use crm_events::Actor;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_notify::messages::QueueExt;
use crm_store::tx::Condition;
use crm_store::{item, StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::App;
use crm_approvals::engine;
use crm_approvals::request::{ApprovalRequest, State, Transition, Verdict};

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    #[serde(default)]
    comment: Option<String>,
}

pub async fn approve(app: &App, call: Call) -> Result<Reply, AppError> {
    decide(app, call, Some(Verdict::Approve)).await
}

pub async fn reject(app: &App, call: Call) -> Result<Reply, AppError> {
    decide(app, call, Some(Verdict::Reject)).await
}

pub async fn cancel(app: &App, call: Call) -> Result<Reply, AppError> {
    decide(app, call, None).await
}

async fn decide(app: &App, call: Call, verdict: Option<Verdict>) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    // Another tenant's request is a 404 whatever the body says.
    let current = super::load(app, &call).await?;
    let empty = call.body_bytes()?.iter().all(u8::is_ascii_whitespace);
    let body: Body = if empty { Body::default() } else { call.json()? };
    if body.comment.as_ref().is_some_and(|c| c.chars().count() > 1000) {
        return Err(AppError::invalid("comment", "must be at most 1000 characters"));
    }
    let now = Timestamp::now();
    let (next, transition) = match verdict {
        Some(v) => current.decide(p.user_id, v, body.comment.clone(), now)?,
        None => (current.cancel(p.user_id, now)?, Transition::Rejected),
    };
    let t = p.tenant_id;
    let mut tx = Tx::new();
    for a in &current.approvers {
        tx = tx.delete("approval_queue", &current.queue_key(*a), None);
    }
    let step_seq = current.step().map_or(0, |s| s.seq);
    let decided = json!({ "step_seq": step_seq, "decision": verdict, "comment": body.comment });
    let (next, tx) = match (transition, next.state) {
        (Transition::NextStep, _) => {
            let tx = tx.emit_audited(&engine::event(&next, crm_events::types::APPROVAL_STEP_DECIDED, Actor::user(p.user_id), decided));
            engine::open_step(&app.store, next, now, tx).await?
        }
        (_, state) => {
            let kind = match state {
                State::Approved => crm_events::types::APPROVAL_APPROVED,
                State::Cancelled => crm_events::types::APPROVAL_CANCELLED,
                _ => crm_events::types::APPROVAL_REJECTED,
            };
            let mut tx = tx
                .delete(
                    "approval_pending",
                    &ApprovalRequest::pending_marker(t, &next.action_code, &next.object_type, &next.object_id),
                    None,
                )
                .emit_audited(&engine::event(&next, kind, Actor::user(p.user_id), decided));
            if state == State::Approved {
                let grant = ApprovalRequest::grant_marker(t, &next.action_code, &next.object_type, &next.object_id);
                // Bound to exactly what was approved (`engine::check_and_maybe_enqueue`).
                tx = tx.put("approval_grant", item::to_item(&grant, &json!({ "request_id": next.id, "payload": next.payload }))?);
            }
            if state != State::Cancelled {
                let requester = crm_directory::get(&app.store, t, next.requester_user_id).await?;
                if let (Some(u), Some(step)) = (requester, next.step()) {
                    for m in engine::notify(&next, step, &u, "approval.decided")? {
                        tx = tx.queue_message(&m)?;
                    }
                }
            }
            (next, tx)
        }
    };
    let tx = tx.put_if("approval_request", next.to_item()?, Condition::version_is(current.version));
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::ok(&next).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::Conflict("the request was decided meanwhile; reload it".into())),
        Err(e) => Err(e.into()),
    }
}
