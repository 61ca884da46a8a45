//! Approval policies (the spec's `approval_policies`, `approval_steps`; ADR 0011):
//! "when `action_code` on an `object_type` matches `conditions`, these steps
//! must approve". Conditions compare a payload field to a value (`gt`,
//! `gte`, `lt`, `lte`, `eq`, `ne`); all must hold. Steps run in `seq` order;
//! each is decided by any one of its approvers — a role, a group or a user —
//! and may carry its own `threshold` (a step that only applies above an
//! amount). A single step is "flat", several are "sequential"; parallel
//! steps are the spec's Advanced tier and refused. Policies are switched on
//! and off with `active`, never with code.

use crm_kernel::{AppError, EntityId, FieldError, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const POLICY: &str = "APPROVALPOLICY";
pub const MAX_STEPS: usize = 5;
pub const MAX_CONDITIONS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Ne,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub field: String,
    pub op: Op,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApproverMode {
    Role,
    Group,
    User,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub seq: u32,
    pub approver_mode: ApproverMode,
    pub approver_ref: String,
    #[serde(default)]
    pub threshold: Option<Rule>,
    #[serde(default)]
    pub sla_hours: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyFields {
    pub name: String,
    pub action_code: String,
    pub object_type: String,
    pub conditions: Vec<Rule>,
    pub steps: Vec<Step>,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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

const FIELDS: &[&str] = &["name", "action_code", "object_type", "conditions", "steps", "active"];

fn code(errors: &mut Vec<FieldError>, field: &str, v: Option<&Value>) -> Option<String> {
    match v.and_then(Value::as_str) {
        Some(s) if (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._".contains(&b)) => {
            Some(s.to_string())
        }
        _ => {
            errors.push(FieldError::new(field, "must be 1-64 characters of a-z, 0-9, `.` and `_` (e.g. `deal.discount`)"));
            None
        }
    }
}

fn rule(errors: &mut Vec<FieldError>, field: &str, v: &Value) -> Option<Rule> {
    let parsed: Result<Rule, _> = serde_json::from_value(v.clone());
    match parsed {
        Ok(r) if !r.field.is_empty() && r.field.len() <= 64 && (r.value.is_number() || r.value.is_string() || r.value.is_boolean()) => {
            if matches!(r.op, Op::Gt | Op::Gte | Op::Lt | Op::Lte) && !r.value.is_number() {
                errors.push(FieldError::new(field, "gt/gte/lt/lte compare numbers"));
                return None;
            }
            Some(r)
        }
        _ => {
            errors.push(FieldError::new(field, "must be {field, op: gt|gte|lt|lte|eq|ne, value}"));
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

    /// Applies a JSON object of changes (absent = keep); every problem named.
    pub fn apply(base: &Self, changes: &Value) -> Result<Self, AppError> {
        let obj = changes.as_object().ok_or_else(|| AppError::invalid("body", "must be a JSON object"))?;
        let mut errors: Vec<FieldError> =
            obj.keys().filter(|k| !FIELDS.contains(&k.as_str())).map(|k| FieldError::new(k.as_str(), "unknown field")).collect();
        let mut next = base.clone();
        if let Some(v) = obj.get("name") {
            match v.as_str().map(str::trim) {
                Some(n) if !n.is_empty() && n.chars().count() <= 120 => next.name = n.to_string(),
                _ => errors.push(FieldError::new("name", "must be 1-120 characters")),
            }
        }
        if obj.contains_key("action_code") {
            next.action_code = code(&mut errors, "action_code", obj.get("action_code")).unwrap_or_default();
        }
        if obj.contains_key("object_type") {
            next.object_type = code(&mut errors, "object_type", obj.get("object_type")).unwrap_or_default();
        }
        if let Some(v) = obj.get("conditions") {
            match v.as_array() {
                Some(a) if a.len() <= MAX_CONDITIONS => {
                    next.conditions = a.iter().enumerate().filter_map(|(i, r)| rule(&mut errors, &format!("conditions[{i}]"), r)).collect()
                }
                _ => errors.push(FieldError::new("conditions", format!("must be a list of at most {MAX_CONDITIONS} rules"))),
            }
        }
        if let Some(v) = obj.get("steps") {
            match v.as_array() {
                Some(a) if (1..=MAX_STEPS).contains(&a.len()) => {
                    let mut steps = Vec::new();
                    for (i, s) in a.iter().enumerate() {
                        let f = |k: &str| format!("steps[{i}].{k}");
                        if s.get("kind").and_then(Value::as_str) == Some("parallel") {
                            errors.push(FieldError::new(f("kind"), "parallel steps are not available (Advanced); use flat or sequential"));
                            continue;
                        }
                        let mode: Option<ApproverMode> = s.get("approver_mode").and_then(|m| serde_json::from_value(m.clone()).ok());
                        let reference =
                            s.get("approver_ref").and_then(Value::as_str).map(str::to_string).filter(|r| !r.is_empty() && r.len() <= 64);
                        let threshold = s.get("threshold").filter(|t| !t.is_null()).map(|t| rule(&mut errors, &f("threshold"), t));
                        let sla = match s.get("sla_hours") {
                            None | Some(Value::Null) => Some(None),
                            Some(v) => v.as_u64().filter(|h| (1..=720).contains(h)).map(|h| Some(h as u32)),
                        };
                        match (mode, reference, sla) {
                            (Some(m), Some(r), Some(sla)) => {
                                if m == ApproverMode::Role && !crm_auth::rbac::ROLES.contains(&r.as_str()) {
                                    errors.push(FieldError::new(
                                        f("approver_ref"),
                                        format!("must be one of {}", crm_auth::rbac::ROLES.join(", ")),
                                    ));
                                } else if m != ApproverMode::Role && EntityId::parse(&r).is_err() && UserId::parse(&r).is_err() {
                                    errors.push(FieldError::new(f("approver_ref"), "must be a group or user id"));
                                }
                                steps.push(Step {
                                    seq: i as u32 + 1,
                                    approver_mode: m,
                                    approver_ref: r,
                                    threshold: threshold.flatten(),
                                    sla_hours: sla,
                                });
                            }
                            (None, ..) => errors.push(FieldError::new(f("approver_mode"), "must be role, group or user")),
                            (_, None, _) => errors.push(FieldError::new(f("approver_ref"), "is required")),
                            (.., None) => errors.push(FieldError::new(f("sla_hours"), "must be 1-720")),
                        }
                    }
                    next.steps = steps;
                }
                _ => errors.push(FieldError::new("steps", format!("must be a list of 1 to {MAX_STEPS} steps"))),
            }
        }
        match obj.get("active") {
            None => {}
            Some(Value::Bool(b)) => next.active = *b,
            Some(_) => errors.push(FieldError::new("active", "must be true or false")),
        }
        for (f, missing) in [
            ("name", next.name.is_empty()),
            ("action_code", next.action_code.is_empty()),
            ("object_type", next.object_type.is_empty()),
            ("steps", next.steps.is_empty()),
        ] {
            if missing && !errors.iter().any(|e| e.field.starts_with(f)) {
                errors.push(FieldError::new(f, "is required"));
            }
        }
        if errors.is_empty() {
            Ok(next)
        } else {
            Err(AppError::invalid_fields(errors))
        }
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

    fn policy(body: Value) -> PolicyFields {
        PolicyFields::apply(&PolicyFields::blank(), &body).unwrap()
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
        let err = PolicyFields::apply(
            &PolicyFields::blank(),
            &json!({"name": "x", "action_code": "Deal Discount", "object_type": "deal",
                    "conditions": [{"field": "amount", "op": "gt", "value": "big"}],
                    "steps": [{"approver_mode": "role", "approver_ref": "boss"}, {"kind": "parallel", "approver_mode": "user", "approver_ref": "x"}]}),
        )
        .unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["action_code", "conditions[0]", "steps[0].approver_ref", "steps[1].kind"]);
        assert!(PolicyFields::apply(&PolicyFields::blank(), &json!({"name": "n", "action_code": "a", "object_type": "b", "steps": []}))
            .is_err());
    }
}
