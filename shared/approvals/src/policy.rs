//! Approval policies (the spec's `approval_policies`, `approval_steps`; ADR 0011):
//! "when `action_code` on an `object_type` matches `conditions`, these steps
//! must approve". Conditions compare a payload field to a value (`gt`,
//! `gte`, `lt`, `lte`, `eq`, `ne`); all must hold. Steps run in `seq` order;
//! each is decided by any one of its approvers — a role, a group or a user —
//! and may carry its own `threshold` (a step that only applies above an
//! amount). A single step is "flat", several are "sequential"; parallel
//! steps are the spec's Advanced tier and refused. Policies are switched on
//! and off with `active`, never with code.

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const POLICY: &str = "APPROVALPOLICY";
pub const MAX_STEPS: usize = 5;
pub const MAX_CONDITIONS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Ne,
}

/// `{field, op, value}`: the payload's `field` compared to `value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A payload field, dotted for nested ones (`deal.amount`).
    #[schemars(length(min = 1, max = 64))]
    pub field: String,
    pub op: Op,
    /// A number, a string or a boolean; gt, gte, lt and lte compare numbers.
    pub value: Value,
}

impl Rule {
    /// Whether `payload[field]` satisfies the rule: numbers compare as
    /// numbers, anything else only by (in)equality; a missing field never matches.
    pub fn holds(&self, payload: &Value) -> bool {
        let Some(got) = self.field.split('.').try_fold(payload, |v, k| v.get(k)) else { return false };
        match (got.as_f64(), self.value.as_f64()) {
            (Some(a), Some(b)) => match self.op {
                Op::Gt => a > b,
                Op::Gte => a >= b,
                Op::Lt => a < b,
                Op::Lte => a <= b,
                Op::Eq => a == b,
                Op::Ne => a != b,
            },
            _ => match self.op {
                Op::Eq => got == &self.value,
                Op::Ne => got != &self.value,
                _ => false,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApproverMode {
    Role,
    Group,
    User,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Step {
    pub seq: u32,
    pub approver_mode: ApproverMode,
    pub approver_ref: String,
    #[serde(default)]
    pub threshold: Option<Rule>,
    #[serde(default)]
    pub sla_hours: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyFields {
    pub name: String,
    pub action_code: String,
    pub object_type: String,
    pub conditions: Vec<Rule>,
    pub steps: Vec<Step>,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Policy {
    pub id: EntityId,
    pub tenant_id: TenantId,
    #[serde(flatten)]
    pub fields: PolicyFields,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// The body of `POST /v1/approvals/policies` and `PATCH …/{id}`: absent keeps.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyChanges {
    /// Required on create.
    #[schemars(length(max = 120))]
    pub name: Input<String>,
    /// The action it gates (`deal.discount`): a-z, 0-9, `.` and `_`.
    #[schemars(length(max = 64), regex(pattern = r"^[a-z0-9._]+$"))]
    pub action_code: Input<String>,
    /// The record type (`deal`).
    #[schemars(length(max = 64), regex(pattern = r"^[a-z0-9._]+$"))]
    pub object_type: Input<String>,
    /// All must hold for the policy to apply (at most 10).
    #[schemars(length(max = 10))]
    pub conditions: Input<Vec<Input<Rule>>>,
    /// 1 to 5 steps, decided in order.
    #[schemars(length(min = 1, max = 5))]
    pub steps: Input<Vec<Input<StepInput>>>,
    pub active: Input<bool>,
}

/// One step of a policy, as received.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StepInput {
    /// Ignored: steps run in list order (a policy read back may be sent as is).
    pub seq: Input<u32>,
    /// `flat` or `sequential` (`parallel` is the Advanced tier's).
    #[schemars(extend("enum" = ["flat", "sequential", "parallel"]))]
    pub kind: Input<String>,
    pub approver_mode: Input<ApproverMode>,
    /// A role code, or a group or user id.
    #[schemars(length(min = 1, max = 64))]
    pub approver_ref: Input<String>,
    /// The step applies only when this holds.
    pub threshold: Input<Rule>,
    /// 1 to 720 hours.
    #[schemars(range(min = 1, max = 720))]
    pub sla_hours: Input<u64>,
}

/// An action or object code (`deal.discount`): 1-64 characters of a-z, 0-9, `.` and `_`.
fn code(c: &str) -> Result<String, String> {
    if c.len() <= 64 && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._".contains(&b)) {
        Ok(c.to_string())
    } else {
        Err("must be 1-64 characters of a-z, 0-9, `.` and `_` (e.g. `deal.discount`)".into())
    }
}

/// A condition (`{field, op, value}`) at `path`, or a problem named there.
fn rule(f: &mut Fields, path: &str, input: Input<Rule>) -> Option<Rule> {
    match input {
        Input::Given(r)
            if !r.field.is_empty() && r.field.len() <= 64 && (r.value.is_number() || r.value.is_string() || r.value.is_boolean()) =>
        {
            if matches!(r.op, Op::Gt | Op::Gte | Op::Lt | Op::Lte) && !r.value.is_number() {
                f.error(path, "gt/gte/lt/lte compare numbers");
                return None;
            }
            Some(r)
        }
        _ => {
            f.error(path, "must be {field, op: gt|gte|lt|lte|eq|ne, value}");
            None
        }
    }
}

/// Step `i` of a policy (`steps[i]`), or its problems named under it.
fn step(f: &mut Fields, i: usize, input: Input<StepInput>) -> Option<Step> {
    let at = |k: &str| format!("steps[{i}].{k}");
    let Input::Given(s) = input else {
        f.error(&format!("steps[{i}]"), "must be {approver_mode, approver_ref, threshold?, sla_hours?}");
        return None;
    };
    if matches!(&s.kind, Input::Given(k) if k == "parallel") {
        f.error(&at("kind"), "parallel steps are not available (Advanced); use flat or sequential");
        return None;
    }
    let mode = s.approver_mode.given();
    let reference = s.approver_ref.given().filter(|r| !r.is_empty() && r.len() <= 64);
    let threshold = match s.threshold {
        Input::Absent | Input::Null => None,
        t => Some(rule(f, &at("threshold"), t)),
    };
    let sla = match s.sla_hours {
        Input::Absent | Input::Null => Some(None),
        Input::Given(h) if (1..=720).contains(&h) => Some(Some(h as u32)),
        _ => None,
    };
    match (mode, reference, sla) {
        (Some(m), Some(r), Some(sla)) => {
            if m == ApproverMode::Role && !crm_auth::rbac::ROLES.contains(&r.as_str()) {
                f.error(&at("approver_ref"), format!("must be one of {}", crm_auth::rbac::ROLES.join(", ")));
            } else if m != ApproverMode::Role && EntityId::parse(&r).is_err() && UserId::parse(&r).is_err() {
                f.error(&at("approver_ref"), "must be a group or user id");
            }
            Some(Step { seq: i as u32 + 1, approver_mode: m, approver_ref: r, threshold: threshold.flatten(), sla_hours: sla })
        }
        (None, ..) => {
            f.error(&at("approver_mode"), "must be role, group or user");
            None
        }
        (_, None, _) => {
            f.error(&at("approver_ref"), "is required");
            None
        }
        (.., None) => {
            f.error(&at("sla_hours"), "must be 1-720");
            None
        }
    }
}

impl PolicyFields {
    pub fn blank() -> Self {
        Self {
            name: String::new(),
            action_code: String::new(),
            object_type: String::new(),
            conditions: vec![],
            steps: vec![],
            active: true,
        }
    }

    /// Applies a change set (absent = keep); every problem named.
    pub fn apply(base: &Self, c: PolicyChanges) -> Result<Self, AppError> {
        let mut f = Fields::new();
        let mut next = base.clone();
        if let Some(n) = f.text("name", c.name, 120) {
            next.name = n.unwrap_or_default();
        }
        if let Some(code) = f.parsed("action_code", c.action_code, 64, code) {
            next.action_code = code.unwrap_or_default();
        }
        if let Some(code) = f.parsed("object_type", c.object_type, 64, code) {
            next.object_type = code.unwrap_or_default();
        }
        match c.conditions {
            Input::Absent => {}
            Input::Given(a) if a.len() <= MAX_CONDITIONS => {
                next.conditions = a.into_iter().enumerate().filter_map(|(i, r)| rule(&mut f, &format!("conditions[{i}]"), r)).collect()
            }
            _ => f.error("conditions", format!("must be a list of at most {MAX_CONDITIONS} rules")),
        }
        match c.steps {
            Input::Absent => {}
            Input::Given(a) if (1..=MAX_STEPS).contains(&a.len()) => {
                next.steps = a.into_iter().enumerate().filter_map(|(i, s)| step(&mut f, i, s)).collect();
            }
            _ => f.error("steps", format!("must be a list of 1 to {MAX_STEPS} steps")),
        }
        if let Some(b) = f.bool("active", c.active) {
            next.active = b;
        }
        f.require("name", !next.name.is_empty());
        f.require("action_code", !next.action_code.is_empty());
        f.require("object_type", !next.object_type.is_empty());
        f.require("steps", !next.steps.is_empty());
        f.finish(next)
    }

    /// Whether an action with `payload` needs this policy's approval.
    pub fn applies(&self, object_type: &str, payload: &Value) -> bool {
        self.active && self.object_type == object_type && self.conditions.iter().all(|c| c.holds(payload))
    }

    /// The steps that apply to `payload` (those without a threshold, or whose threshold holds).
    pub fn steps_for(&self, payload: &Value) -> Vec<Step> {
        self.steps.iter().filter(|s| s.threshold.as_ref().is_none_or(|t| t.holds(payload))).cloned().collect()
    }
}

impl Policy {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, POLICY, id)
    }

    /// The partition of an action's policies (what a check reads).
    pub fn action_pk(tenant: TenantId, action_code: &str) -> String {
        keys::by_parent_pk(tenant, "APPROVALACTION", action_code)
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        let t = self.tenant_id;
        let sort = format!("{}#{}", self.created_at, self.id);
        Ok(item::to_item(&Self::key(t, self.id), self)?
            .with_str("kind", "approval_policy")
            .with_index(Index::ByKind, keys::by_kind_pk(t, POLICY), sort.clone())
            .with_index(Index::ByParent, Self::action_pk(t, &self.fields.action_code), sort))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(v: Value) -> PolicyChanges {
        serde_json::from_value(v).unwrap()
    }

    fn policy(body: Value) -> PolicyFields {
        PolicyFields::apply(&PolicyFields::blank(), serde_json::from_value(body).unwrap()).unwrap()
    }

    #[test]
    fn conditions_and_thresholds_select_policies_and_steps() {
        let p = policy(json!({
            "name": "Big discounts", "action_code": "deal.discount", "object_type": "deal",
            "conditions": [{"field": "discount_pct", "op": "gt", "value": 10}],
            "steps": [
                {"approver_mode": "role", "approver_ref": "manager"},
                {"approver_mode": "role", "approver_ref": "admin", "threshold": {"field": "amount", "op": "gt", "value": 100000}, "sla_hours": 24}
            ]
        }));
        assert!(!p.applies("deal", &json!({"discount_pct": 10})));
        assert!(!p.applies("lead", &json!({"discount_pct": 15})));
        assert!(!p.applies("deal", &json!({})), "a missing field never matches");
        assert!(p.applies("deal", &json!({"discount_pct": 15, "amount": 5000})));
        assert_eq!(p.steps_for(&json!({"amount": 5000})).len(), 1, "flat below the threshold");
        assert_eq!(p.steps_for(&json!({"amount": 250000})).len(), 2, "sequential above it");
        assert!(!PolicyFields { active: false, ..p.clone() }.applies("deal", &json!({"discount_pct": 50})));
        let eq = Rule { field: "priority".into(), op: Op::Eq, value: json!("high") };
        assert!(eq.holds(&json!({"priority": "high"})) && !eq.holds(&json!({"priority": "low"})));
    }

    #[test]
    fn policies_parse_and_name_every_problem() {
        let err = PolicyFields::apply(&PolicyFields::blank(), changes(json!({"name": "x", "action_code": "Deal Discount", "object_type": "deal",
                    "conditions": [{"field": "amount", "op": "gt", "value": "big"}],
                    "steps": [{"approver_mode": "role", "approver_ref": "boss"}, {"kind": "parallel", "approver_mode": "user", "approver_ref": "x"}]})),
        )
        .unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["action_code", "conditions[0]", "steps[0].approver_ref", "steps[1].kind"]);
        assert!(PolicyFields::apply(
            &PolicyFields::blank(),
            changes(json!({"name": "n", "action_code": "a", "object_type": "b", "steps": []}))
        )
        .is_err());
    }
}
