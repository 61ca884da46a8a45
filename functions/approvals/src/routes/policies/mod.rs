//! `GET|POST /v1/approvals/policies`, `PATCH|DELETE /v1/approvals/policies/{id}`.
//! An active policy counts toward the plan's `approvals.activePolicies`
//! (DevFree 2): creating or activating one takes a place, deactivating or
//! deleting it gives it back, in the policy's own transaction.

pub mod delete;
pub mod get;
pub mod id_get;
pub mod patch;
pub mod post;

use crm_auth::Principal;
use crm_events::{Actor, DomainEvent, Subject};
use crm_http::Call;
use crm_kernel::{AppError, EntityId};
use crm_store::{usage, StoreError, Tx};
use serde_json::Value;

use crate::App;
use crm_approvals::policy::Policy;

const LIMIT: &str = "approvals.activePolicies";
const COUNTER: &str = "approval_policies_active";

pub(crate) async fn load(app: &App, call: &Call) -> Result<Policy, AppError> {
    let t = call.principal()?.tenant_id;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    app.store.get_as(&Policy::key(t, id)).await?.ok_or(AppError::NotFound)
}

pub(crate) fn event(call: &Call, kind: crm_events::EventType, p: &Policy, data: Value) -> Result<DomainEvent, AppError> {
    let who = call.principal()?;
    Ok(DomainEvent::new(
        who.tenant_id,
        kind,
        Actor::user(who.user_id),
        Subject { kind: "approval_policy".into(), id: p.id.to_string() },
        data,
    )
    .with_request_id(call.request_id()))
}

/// The active-policy count follows `before → after`.
pub(crate) fn count(tx: Tx, p: &Principal, before: bool, after: bool) -> Tx {
    match (before, after) {
        (false, true) => usage::take(tx, LIMIT, p.tenant_id, COUNTER, p.entitlements.limit(LIMIT)),
        (true, false) => usage::release(tx, "approvals.release", p.tenant_id, COUNTER),
        _ => tx,
    }
}

pub(crate) fn refused(p: &Principal, e: StoreError) -> AppError {
    match e {
        StoreError::ConditionFailed { label } if label == LIMIT => p.entitlements.limit_reached(LIMIT),
        StoreError::ConditionFailed { label } if label == "policy" => AppError::PreconditionFailed,
        e => e.into(),
    }
}
