//! Approval requests (the spec's `approval_requests`, `approval_actions`; ADR 0011)
//! and their state machine, pure: `pending` → (an approval of step n opens
//! step n+1) → `approved` after the last step; any rejection → `rejected`;
//! the requester may `cancel` while pending. Only an approver of the open
//! step may decide it, and never the requester.
//!
//! Items around a request:
//! * the request `T#{t}#APPROVALREQUEST#{id}` (`by_kind` newest first,
//!   `by_owner` the requester's);
//! * the open step's queue `T#{t}#APPROVER#{user}` / `{opened_at}#{id}` —
//!   "waiting for me" is one key condition;
//! * `UNIQUE#APPROVALPENDING#{action}#{type}#{id}` while pending (one
//!   request per action and object), `UNIQUE#APPROVALGRANT#…` once approved
//!   until the action consumes it.

use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::policy::Step;

pub const REQUEST: &str = "APPROVALREQUEST";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Reject,
}

/// One decision (`approval_actions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Decision {
    pub step_seq: u32,
    pub approver_user_id: UserId,
    pub decision: Verdict,
    #[serde(default)]
    pub comment: Option<String>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApprovalRequest {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub policy_id: EntityId,
    pub policy_name: String,
    pub action_code: String,
    pub object_type: String,
    pub object_id: String,
    pub requester_user_id: UserId,
    pub state: State,
    /// 1-based position in `steps` of the open (or last decided) step.
    pub current_step: u32,
    pub steps: Vec<Step>,
    /// Who may decide the open step.
    pub approvers: Vec<UserId>,
    #[serde(default)]
    pub step_opened_at: Option<Timestamp>,
    /// `sla_hours` after the step opened.
    #[serde(default)]
    pub step_due_at: Option<Timestamp>,
    pub payload: Value,
    #[serde(default)]
    pub actions: Vec<Decision>,
    pub created_at: Timestamp,
    #[serde(default)]
    pub decided_at: Option<Timestamp>,
    pub version: u64,
}

/// What a decision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The next step is open (its approvers still to be resolved).
    NextStep,
    Approved,
    Rejected,
}

impl ApprovalRequest {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, REQUEST, id)
    }

    pub fn pending_marker(tenant: TenantId, action: &str, object_type: &str, object_id: &str) -> Key {
        keys::unique(tenant, "APPROVALPENDING", &format!("{action}#{object_type}#{object_id}"))
    }

    pub fn grant_marker(tenant: TenantId, action: &str, object_type: &str, object_id: &str) -> Key {
        keys::unique(tenant, "APPROVALGRANT", &format!("{action}#{object_type}#{object_id}"))
    }

    /// An approver's queue entry for this request's open step.
    pub fn queue_key(&self, approver: UserId) -> Key {
        let opened = self.step_opened_at.unwrap_or(self.created_at);
        keys::approver_queue(self.tenant_id, &approver.to_string(), &opened.to_string(), &self.id.to_string())
    }

    pub fn queue_pk(tenant: TenantId, approver: UserId) -> String {
        keys::approver_queue_pk(tenant, &approver.to_string())
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        let t = self.tenant_id;
        let sort = format!("{}#{}", self.created_at, self.id);
        Ok(item::to_item(&Self::key(t, self.id), self)?
            .with_str("kind", "approval_request")
            .with_str("state_code", format!("{:?}", self.state).to_lowercase())
            .with_index(Index::ByKind, keys::by_kind_pk(t, REQUEST), sort.clone())
            .with_index(Index::ByOwner, keys::by_owner_pk(t, REQUEST, &self.requester_user_id.to_string()), sort))
    }

    pub fn step(&self) -> Option<&Step> {
        self.steps.get(self.current_step.saturating_sub(1) as usize)
    }

    /// `approver` decides the open step.
    pub fn decide(
        &self,
        approver: UserId,
        verdict: Verdict,
        comment: Option<String>,
        now: Timestamp,
    ) -> Result<(Self, Transition), AppError> {
        if self.state != State::Pending {
            return Err(AppError::Conflict(format!("the request is already {}", format!("{:?}", self.state).to_lowercase())));
        }
        if approver == self.requester_user_id {
            return Err(AppError::Forbidden("a requester cannot decide their own request".into()));
        }
        if !self.approvers.contains(&approver) {
            return Err(AppError::Forbidden("you are not an approver of the open step".into()));
        }
        let mut next = self.clone();
        next.version += 1;
        next.actions.push(Decision {
            step_seq: self.step().map_or(self.current_step, |s| s.seq),
            approver_user_id: approver,
            decision: verdict,
            comment,
            at: now,
        });
        let t = match verdict {
            Verdict::Reject => {
                next.state = State::Rejected;
                Transition::Rejected
            }
            Verdict::Approve if self.current_step as usize >= self.steps.len() => {
                next.state = State::Approved;
                Transition::Approved
            }
            Verdict::Approve => {
                next.current_step += 1;
                next.approvers.clear();
                Transition::NextStep
            }
        };
        if t != Transition::NextStep {
            next.decided_at = Some(now);
            next.approvers.clear();
            next.step_due_at = None;
        }
        Ok((next, t))
    }

    /// The requester withdraws a pending request.
    pub fn cancel(&self, by: UserId, now: Timestamp) -> Result<Self, AppError> {
        if by != self.requester_user_id {
            return Err(AppError::Forbidden("only the requester may cancel a request".into()));
        }
        if self.state != State::Pending {
            return Err(AppError::Conflict(format!("the request is already {}", format!("{:?}", self.state).to_lowercase())));
        }
        Ok(Self {
            state: State::Cancelled,
            decided_at: Some(now),
            approvers: vec![],
            step_due_at: None,
            version: self.version + 1,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::ApproverMode;
    use serde_json::json;

    fn request(steps: usize, approvers: Vec<UserId>) -> ApprovalRequest {
        let step = |seq| Step { seq, approver_mode: ApproverMode::Role, approver_ref: "manager".into(), threshold: None, sla_hours: None };
        ApprovalRequest {
            id: EntityId::new(),
            tenant_id: TenantId::new(),
            policy_id: EntityId::new(),
            policy_name: "p".into(),
            action_code: "task.complete".into(),
            object_type: "task".into(),
            object_id: "T1".into(),
            requester_user_id: UserId::new(),
            state: State::Pending,
            current_step: 1,
            steps: (1..=steps as u32).map(step).collect(),
            approvers,
            step_opened_at: None,
            step_due_at: None,
            payload: json!({}),
            actions: vec![],
            created_at: Timestamp::now(),
            decided_at: None,
            version: 1,
        }
    }

    #[test]
    fn sequential_steps_approve_in_order_and_a_rejection_ends_it() {
        let (boss, other) = (UserId::new(), UserId::new());
        let r = request(2, vec![boss]);
        assert_eq!(r.decide(other, Verdict::Approve, None, Timestamp::now()).unwrap_err().code(), "FORBIDDEN");
        assert_eq!(r.decide(r.requester_user_id, Verdict::Approve, None, Timestamp::now()).unwrap_err().code(), "FORBIDDEN");
        let (r1, t) = r.decide(boss, Verdict::Approve, Some("ok".into()), Timestamp::now()).unwrap();
        assert_eq!((t, r1.state, r1.current_step, r1.approvers.len()), (Transition::NextStep, State::Pending, 2, 0));
        let r1 = ApprovalRequest { approvers: vec![other], ..r1 };
        let (done, t) = r1.decide(other, Verdict::Approve, None, Timestamp::now()).unwrap();
        assert_eq!((t, done.state, done.actions.len()), (Transition::Approved, State::Approved, 2));
        assert_eq!(done.decide(other, Verdict::Approve, None, Timestamp::now()).unwrap_err().code(), "CONFLICT");
        let (no, t) = r.decide(boss, Verdict::Reject, None, Timestamp::now()).unwrap();
        assert_eq!((t, no.state), (Transition::Rejected, State::Rejected));
        assert!(no.decided_at.is_some());
    }

    #[test]
    fn only_the_requester_cancels_a_pending_request() {
        let r = request(1, vec![UserId::new()]);
        assert_eq!(r.cancel(UserId::new(), Timestamp::now()).unwrap_err().code(), "FORBIDDEN");
        let c = r.cancel(r.requester_user_id, Timestamp::now()).unwrap();
        assert_eq!(c.state, State::Cancelled);
        assert_eq!(c.cancel(r.requester_user_id, Timestamp::now()).unwrap_err().code(), "CONFLICT");
    }
}
