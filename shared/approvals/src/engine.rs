//! The engine any module calls before a sensitive action
//! (the spec's `approvals.checkAndMaybeEnqueue`, callable from any module; ADR 0011):
//!
//! ```text
//! match approvals::check_and_maybe_enqueue(&store, &principal, &check).await? {
//!     Gate::Proceed => { /* no policy applies: act */ }
//!     Gate::Granted(grant) => { /* approved earlier: act, consuming the grant in the same transaction */ }
//!     Gate::Pending(pending) => { /* blocked: pending.commit(&store), answer 202 with pending.request */ }
//! }
//! ```
//!
//! A new request resolves the approvers of its first step (a role's users —
//! also through groups and the role hierarchy —, a group's members, or one
//! user; never the requester; the tenant's admins when nobody else is
//! eligible), queues it for each, and tells them by inbox and email through
//! the notifications core — all in one transaction with `approval.requested`.

use std::collections::BTreeSet;

use crm_auth::access::AccessModel;
use crm_auth::Principal;
use crm_directory::UserView;
use crm_events::audit::AuditExt;
use crm_events::{Actor, DomainEvent, Subject};
use crm_kernel::{AppError, EntityId, Limit, Timestamp};
use crm_notify::messages::QueueExt;
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{item, keys, Index, Query, Store, Tx};
use serde_json::{json, Value};

use crate::policy::{ApproverMode, Policy, Step};
use crate::request::{ApprovalRequest, State};

/// What an action asks the engine.
#[derive(Debug, Clone)]
pub struct Check {
    pub action_code: String,
    pub object_type: String,
    pub object_id: String,
    /// The values policies' conditions and thresholds look at (`amount`, `discount_pct`, `priority`, …).
    pub payload: Value,
}

pub enum Gate {
    /// No active policy applies: the action goes ahead.
    Proceed,
    /// An approved request waits for this very action: go ahead, consuming it.
    Granted(Grant),
    /// The action is blocked until the request is decided.
    Pending(Box<Pending>),
}

pub struct Grant {
    key: crm_store::Key,
    pub request_id: String,
}

impl Grant {
    /// Adds the grant's consumption to the action's own transaction (it
    /// fails, and so the action, if another action consumed it first).
    pub fn consume(&self, tx: Tx) -> Tx {
        let same = Condition::exists_with("request_id", crm_store::AttributeValue::S(self.request_id.clone()));
        tx.delete("approval_grant", &self.key, Some(same))
    }
}

pub struct Pending {
    pub request: ApprovalRequest,
    /// The new request's writes; `None` when it was already waiting.
    tx: Option<Tx>,
}

impl Pending {
    /// Writes a new request (a waiting one needs nothing).
    pub async fn commit(self, store: &Store) -> Result<ApprovalRequest, AppError> {
        if let Some(tx) = self.tx {
            match store.transact(tx).await {
                Ok(()) => {}
                // Another request for the same action and object won the race: show that one.
                Err(crm_store::StoreError::ConditionFailed { label }) if label == "approval_pending" => {
                    return Err(AppError::Conflict("an approval for this action is already pending".into()))
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(self.request)
    }
}

pub async fn check_and_maybe_enqueue(store: &Store, p: &Principal, c: &Check) -> Result<Gate, AppError> {
    let t = p.tenant_id;
    let grant = ApprovalRequest::grant_marker(t, &c.action_code, &c.object_type, &c.object_id);
    let pending = ApprovalRequest::pending_marker(t, &c.action_code, &c.object_type, &c.object_id);
    let found = store.get_many(&[grant.clone(), pending.clone()]).await?;
    // A grant is bound to its action, its subject and the parameters that
    // were approved: a move to another stage, or the same move after the
    // amount or discount changed, is a new question (the stale grant goes).
    let mut stale = None;
    if let Some(g) = &found[0] {
        let approved: Option<Value> = item::from_item::<Value>(g.clone()).ok().map(|v| v["payload"].clone());
        if approved.as_ref().is_some_and(|a| same(a, &c.payload)) {
            return Ok(Gate::Granted(Grant { key: grant, request_id: g.str_attr("request_id").unwrap_or_default().to_string() }));
        }
        stale = Some(grant);
    }
    if let Some(id) = found[1].as_ref().and_then(|m| m.str_attr("request_id")).and_then(|s| EntityId::parse(s).ok()) {
        if let Some(r) = store.get_as::<ApprovalRequest>(&ApprovalRequest::key(t, id)).await? {
            return Ok(Gate::Pending(Box::new(Pending { request: r, tx: None })));
        }
    }
    let q = Query::index(t, Index::ByParent, Policy::action_pk(t, &c.action_code)).limit(Limit::max());
    let policies = store.query(q).await?.items.into_iter().map(item::from_item::<Policy>).collect::<Result<Vec<_>, _>>()?;
    let Some((policy, steps)) = policies
        .into_iter()
        .filter(|pol| pol.fields.applies(&c.object_type, &c.payload))
        .map(|pol| {
            let s = pol.fields.steps_for(&c.payload);
            (pol, s)
        })
        .find(|(_, s)| !s.is_empty())
    else {
        // No policy asks any more: a stale grant is simply left unused.
        return Ok(Gate::Proceed);
    };
    let now = Timestamp::now();
    let request = ApprovalRequest {
        id: EntityId::new(),
        tenant_id: t,
        policy_id: policy.id,
        policy_name: policy.fields.name.clone(),
        action_code: c.action_code.clone(),
        object_type: c.object_type.clone(),
        object_id: c.object_id.clone(),
        requester_user_id: p.user_id,
        state: State::Pending,
        current_step: 1,
        steps,
        approvers: vec![],
        step_opened_at: None,
        step_due_at: None,
        payload: c.payload.clone(),
        actions: vec![],
        created_at: now,
        decided_at: None,
        version: 1,
    };
    let event = event(
        &request,
        crm_events::types::APPROVAL_REQUESTED,
        Actor::user(p.user_id),
        json!({ "policy_id": policy.id, "steps": request.steps.len() }),
    );
    let (request, tx) = open_step(store, request, now, Tx::new()).await?;
    let tx = match stale {
        Some(key) => tx.delete("approval_grant", &key, None),
        None => tx,
    };
    let tx = tx
        .put_new("approval_pending", item::to_item(&pending, &json!({ "request_id": request.id }))?)
        .put_new("approval_request", request.to_item()?)
        .emit_audited(&event);
    Ok(Gate::Pending(Box::new(Pending { request, tx: Some(tx) })))
}

/// Whether two payloads say the same thing. Numbers compare by value: the
/// approved payload comes back from the table, where `0.0` and `0` are one number.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            let present = |m: &serde_json::Map<String, Value>| m.iter().filter(|(_, v)| !v.is_null()).count();
            present(x) == present(y) && x.iter().filter(|(_, v)| !v.is_null()).all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Opens the request's current step: resolves its approvers, queues the
/// request for them, tells them (inbox and email) and emits
/// `approval.step.opened` — added to `tx`; the caller writes the request.
pub async fn open_step(store: &Store, mut r: ApprovalRequest, now: Timestamp, tx: Tx) -> Result<(ApprovalRequest, Tx), AppError> {
    let step = r.step().cloned().ok_or_else(|| AppError::Internal("a request without steps".into()))?;
    let people = approvers(store, &r, &step).await?;
    r.approvers = people.iter().map(|u| u.id).collect();
    r.step_opened_at = Some(now);
    r.step_due_at = step.sla_hours.map(|h| now.plus_seconds(h as i64 * 3600));
    let mut tx = tx;
    for user in &people {
        tx = tx.put("approval_queue", item::to_item(&r.queue_key(user.id), &json!({ "request_id": r.id, "action_code": r.action_code }))?);
        for m in notify(&r, &step, user, "approval.step_opened")? {
            tx = tx.queue_message(&m)?;
        }
    }
    let data = json!({ "step_seq": step.seq, "approvers": r.approvers, "due_at": r.step_due_at });
    let tx = tx.emit_audited(&event(&r, crm_events::types::APPROVAL_STEP_OPENED, Actor::system(), data));
    Ok((r, tx))
}

/// The inbox entry and email telling `user` about `r` (family `approval.step_opened` or `approval.decided`).
pub fn notify(r: &ApprovalRequest, step: &Step, user: &UserView, family: &str) -> Result<Vec<crm_notify::messages::Message>, AppError> {
    let payload = json!({
        "policy": r.policy_name, "action": r.action_code, "object": format!("{} {}", r.object_type, r.object_id),
        "step": step.seq, "steps": r.steps.len(), "state": format!("{:?}", r.state).to_lowercase(),
    });
    crm_notify::compose::to_user(r.tenant_id, user, family, &payload, &format!("approvals.{family}"))
}

/// The active users who may decide `step` of `r` (never the requester); the
/// tenant's admins when nobody else is eligible.
async fn approvers(store: &Store, r: &ApprovalRequest, step: &Step) -> Result<Vec<UserView>, AppError> {
    let t = r.tenant_id;
    let users: Vec<UserView> = crm_directory::list(store, t).await?.into_iter().filter(UserView::is_active).collect();
    let access: AccessModel = store.get_as(&keys::tenant_access(t)).await?.unwrap_or_default();
    let roles_of = |u: &UserView| -> BTreeSet<String> {
        let roles = access.effective_roles(&u.roles, &u.group_ids);
        roles.iter().flat_map(|r| access.descendants(r).into_iter().chain([r.clone()])).collect()
    };
    let eligible = |u: &UserView| -> bool {
        match step.approver_mode {
            ApproverMode::Role => roles_of(u).contains(&step.approver_ref),
            ApproverMode::Group => u.group_ids.iter().any(|g| g == &step.approver_ref),
            ApproverMode::User => u.id.to_string() == step.approver_ref,
        }
    };
    let pick = |f: &dyn Fn(&UserView) -> bool| -> Vec<UserView> {
        users.iter().filter(|u| u.id != r.requester_user_id && f(u)).cloned().collect()
    };
    let chosen = pick(&eligible);
    if !chosen.is_empty() {
        return Ok(chosen);
    }
    Ok(pick(&|u| roles_of(u).iter().any(|r| r == "admin" || r == "super_admin")))
}

pub fn event(r: &ApprovalRequest, kind: crm_events::EventType, actor: Actor, data: Value) -> DomainEvent {
    let mut data = data;
    if let Value::Object(m) = &mut data {
        m.insert("action_code".into(), json!(r.action_code));
        m.insert("object_type".into(), json!(r.object_type));
        m.insert("object_id".into(), json!(r.object_id));
        m.insert("requester_user_id".into(), json!(r.requester_user_id));
    }
    DomainEvent::new(r.tenant_id, kind, actor, Subject { kind: "approval_request".into(), id: r.id.to_string() }, data)
}

#[cfg(test)]
mod tests {
    use super::same;
    use serde_json::json;

    #[test]
    fn a_grant_binds_every_parameter_but_not_the_number_spelling() {
        let approved = json!({ "amount": 12_000_000, "discount_pct": 0, "to_stage_id": "S2", "owner_user_id": null });
        assert!(same(&approved, &json!({ "amount": 12_000_000, "discount_pct": 0.0, "to_stage_id": "S2" })));
        assert!(!same(&approved, &json!({ "amount": 12_000_000, "discount_pct": 0.0, "to_stage_id": "S3" })), "another stage");
        assert!(!same(&approved, &json!({ "amount": 50_000_000, "discount_pct": 0, "to_stage_id": "S2" })), "another amount");
        assert!(!same(&approved, &json!({ "amount": 12_000_000, "discount_pct": 15, "to_stage_id": "S2" })), "a discount");
    }
}
