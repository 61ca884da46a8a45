//! The tenant's lead rules (the spec: "simple scoring model
//! (rule-based)", "round-robin or rules-based assignment"), one settings
//! item each, both pure to apply:
//!
//! * [`Scoring`] — rules that add (or take) points when a lead's field
//!   matches; a lead's score is their sum plus its manual adjustment, and
//!   the matching rules are returned as the score's parts (explainable).
//!   Crossing `notify_threshold` upwards tells the owner.
//! * [`Assignment`] — who gets a lead created without an owner: the first
//!   rule matching its source and country, else the next member of the
//!   round-robin pool. Round-robin takes a ticket from an atomic counter
//!   (`ADD`), so simultaneous creates never get the same turn.

use crm_kernel::fields::Input;
use crm_kernel::{AppError, FieldError, TenantId, Timestamp, UserId};
use crm_store::{keys, Key};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::lead::{LeadFields, ScorePart, SOURCES};

pub const MAX_RULES: usize = 50;
pub const MAX_POOL: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    In,
    Contains,
    EndsWith,
    Exists,
    Missing,
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRule {
    pub label: String,
    /// A lead field: `source`, `status`, `country`, `email`, `email_domain`,
    /// `phone`, `company_name`, `job_title`, `message`, `custom.{code}`.
    pub field: String,
    pub op: Op,
    #[serde(default)]
    pub value: Value,
    pub points: i64,
}

pub const SCORE_FIELDS: &[&str] =
    &["source", "status", "country", "email", "email_domain", "phone", "company_name", "job_title", "message", "first_name", "last_name"];

/// What rules see of a lead: its fields as text, lower-cased for comparison.
pub fn view(f: &LeadFields) -> Value {
    let lower = |s: Option<&str>| s.map(|v| Value::String(v.to_lowercase())).unwrap_or(Value::Null);
    json!({
        "source": f.source, "status": f.status, "country": f.country, "email": lower(f.email.as_ref().map(|e| e.as_str())),
        "email_domain": lower(f.email.as_ref().and_then(|e| e.as_str().rsplit_once('@').map(|(_, d)| d))),
        "phone": f.phone.as_ref().map(|p| p.to_string()), "company_name": lower(f.company_name.as_deref()),
        "job_title": lower(f.job_title.as_deref()), "message": lower(f.message.as_deref()),
        "first_name": lower(Some(&f.first_name)), "last_name": lower(f.last_name.as_deref()), "custom": f.custom_fields,
    })
}

impl ScoreRule {
    pub fn holds(&self, lead: &Value) -> bool {
        let got = self.field.split('.').try_fold(lead, |v, k| v.get(k)).filter(|v| !v.is_null());
        let text = |v: &Value| v.as_str().map(str::to_lowercase).unwrap_or_else(|| v.to_string());
        let want = text(&self.value);
        match (self.op, got) {
            (Op::Exists, g) => g.is_some(),
            (Op::Missing, g) => g.is_none(),
            (_, None) => false,
            (Op::Eq, Some(g)) => text(g) == want,
            (Op::Ne, Some(g)) => text(g) != want,
            (Op::In, Some(g)) => self.value.as_array().is_some_and(|a| a.iter().any(|v| text(v) == text(g))),
            (Op::Contains, Some(g)) => match g.as_array() {
                Some(list) => list.iter().any(|v| text(v) == want),
                None => text(g).contains(&want),
            },
            (Op::EndsWith, Some(g)) => text(g).ends_with(&want),
            (op, Some(g)) => match (g.as_f64(), self.value.as_f64()) {
                (Some(a), Some(b)) => match op {
                    Op::Gt => a > b,
                    Op::Gte => a >= b,
                    Op::Lt => a < b,
                    _ => a <= b,
                },
                _ => false,
            },
        }
    }
}

/// The body of `PUT /v1/leads/scoring-rules`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoringRequest {
    /// At most 50; the points of every rule that holds add up.
    #[schemars(length(max = 50))]
    pub rules: Vec<Input<ScoreRule>>,
    /// A lead reaching this score tells its owner.
    #[serde(default)]
    pub notify_threshold: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Scoring {
    pub rules: Vec<ScoreRule>,
    /// A lead reaching this score tells its owner (`lead.score_threshold`).
    pub notify_threshold: Option<i64>,
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}

impl Scoring {
    pub fn key(t: TenantId) -> Key {
        keys::lead_rules(t, "scoring")
    }

    /// Rules from a `PUT` body, every problem named.
    pub fn parse(b: ScoringRequest) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        if b.rules.len() > MAX_RULES {
            errors.push(FieldError::new("rules", format!("at most {MAX_RULES}")));
        }
        let mut rules = Vec::new();
        for (i, r) in b.rules.into_iter().enumerate() {
            match r {
                Input::Given(r) => {
                    let known = SCORE_FIELDS.contains(&r.field.as_str()) || r.field.strip_prefix("custom.").is_some_and(|c| !c.is_empty());
                    if !known {
                        errors.push(FieldError::new(
                            format!("rules[{i}].field"),
                            format!("must be one of {}, or custom.{{code}}", SCORE_FIELDS.join(", ")),
                        ));
                    }
                    if !(-1000..=1000).contains(&r.points) {
                        errors.push(FieldError::new(format!("rules[{i}].points"), "must be from -1000 to 1000"));
                    }
                    if r.label.trim().is_empty() || r.label.len() > 100 {
                        errors.push(FieldError::new(format!("rules[{i}].label"), "is required (at most 100 characters)"));
                    }
                    if r.field == "source" && r.op == Op::Eq && !r.value.as_str().is_some_and(|s| SOURCES.contains(&s)) {
                        errors.push(FieldError::new(format!("rules[{i}].value"), format!("must be one of {}", SOURCES.join(", "))));
                    }
                    if r.op == Op::In && !r.value.is_array() {
                        errors.push(FieldError::new(format!("rules[{i}].value"), "must be a list for `in`"));
                    }
                    rules.push(r);
                }
                Input::Invalid(e) => errors.push(FieldError::new(format!("rules[{i}]"), e)),
                Input::Absent | Input::Null => {
                    errors.push(FieldError::new(format!("rules[{i}]"), "must be {label, field, op, value?, points}"))
                }
            }
        }
        if errors.is_empty() {
            Ok(Scoring { rules, notify_threshold: b.notify_threshold, version: 0, updated_at: None })
        } else {
            Err(AppError::invalid_fields(errors))
        }
    }

    /// The score of `f` (without the manual adjustment) and its parts.
    pub fn score(&self, f: &LeadFields) -> (i64, Vec<ScorePart>) {
        let v = view(f);
        let parts: Vec<ScorePart> =
            self.rules.iter().filter(|r| r.holds(&v)).map(|r| ScorePart { rule: r.label.clone(), points: r.points }).collect();
        (parts.iter().map(|p| p.points).sum(), parts)
    }

    /// Whether going from `before` to `after` crosses the threshold upwards.
    pub fn crossed(&self, before: Option<i64>, after: i64) -> bool {
        self.notify_threshold.is_some_and(|t| after >= t && before.is_none_or(|b| b < t))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Leads without an owner stay unassigned.
    #[default]
    Manual,
    RoundRobin,
    /// The first matching rule, else round-robin over the pool (if any).
    Rules,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRule {
    /// Leads from this source (any when absent).
    #[serde(default)]
    pub source: Option<String>,
    /// Leads from this country, ISO 3166 alpha-2 (any when absent).
    #[serde(default)]
    #[schemars(length(min = 2, max = 2))]
    pub country: Option<String>,
    pub user_id: UserId,
}

/// The body of `PUT /v1/leads/assignment`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRequest {
    pub mode: Mode,
    /// At most 100 users, taken in turn (`round_robin`, and `rules` when none matches).
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub pool: Vec<UserId>,
    /// At most 50, the first that matches wins (`rules`).
    #[serde(default)]
    #[schemars(length(max = 50))]
    pub rules: Vec<AssignRule>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Assignment {
    pub mode: Mode,
    #[serde(default)]
    pub pool: Vec<UserId>,
    #[serde(default)]
    pub rules: Vec<AssignRule>,
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}

/// Whom a lead goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    Rule(usize, UserId),
    /// The next member of the pool: take a ticket.
    RoundRobin,
    Nobody,
}

impl Assignment {
    pub fn key(t: TenantId) -> Key {
        keys::lead_rules(t, "assignment")
    }

    /// The round-robin counter.
    pub fn ticket_key(t: TenantId) -> Key {
        keys::lead_assignment_ticket(t)
    }

    pub fn parse(req: AssignmentRequest) -> Result<Self, AppError> {
        let mut a = Assignment { mode: req.mode, pool: req.pool, rules: req.rules, version: 0, updated_at: None };
        let mut errors = Vec::new();
        if a.pool.len() > MAX_POOL {
            errors.push(FieldError::new("pool", format!("at most {MAX_POOL} users")));
        }
        if a.rules.len() > MAX_RULES {
            errors.push(FieldError::new("rules", format!("at most {MAX_RULES}")));
        }
        for (i, r) in a.rules.iter_mut().enumerate() {
            if r.source.as_deref().is_some_and(|s| !SOURCES.contains(&s)) {
                errors.push(FieldError::new(format!("rules[{i}].source"), format!("must be one of {}", SOURCES.join(", "))));
            }
            r.country = r.country.as_ref().map(|c| c.to_ascii_uppercase());
            if r.country.as_ref().is_some_and(|c| c.len() != 2) {
                errors.push(FieldError::new(format!("rules[{i}].country"), "must be an ISO 3166 alpha-2 code"));
            }
        }
        if a.mode == Mode::RoundRobin && a.pool.is_empty() {
            errors.push(FieldError::new("pool", "round-robin needs at least one user"));
        }
        let mut seen = std::collections::BTreeSet::new();
        a.pool.retain(|u| seen.insert(*u));
        if errors.is_empty() {
            Ok(a)
        } else {
            Err(AppError::invalid_fields(errors))
        }
    }

    /// Every user the settings name (to check they are the tenant's).
    pub fn users(&self) -> Vec<UserId> {
        let mut out: Vec<UserId> = self.pool.iter().copied().chain(self.rules.iter().map(|r| r.user_id)).collect();
        out.sort();
        out.dedup();
        out
    }

    pub fn pick(&self, f: &LeadFields) -> Pick {
        if self.mode == Mode::Manual {
            return Pick::Nobody;
        }
        if self.mode == Mode::Rules {
            let hit = self.rules.iter().position(|r| {
                r.source.as_ref().is_none_or(|s| *s == f.source) && r.country.as_ref().is_none_or(|c| f.country.as_ref() == Some(c))
            });
            if let Some(i) = hit {
                return Pick::Rule(i, self.rules[i].user_id);
            }
        }
        if self.pool.is_empty() {
            Pick::Nobody
        } else {
            Pick::RoundRobin
        }
    }

    /// The pool member ticket `n` (1, 2, 3, …) goes to.
    pub fn turn(&self, n: i64) -> Option<UserId> {
        (!self.pool.is_empty()).then(|| self.pool[((n - 1).rem_euclid(self.pool.len() as i64)) as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(body: Value) -> LeadFields {
        LeadFields::apply(&LeadFields::blank("web"), req(body)).unwrap()
    }

    fn req<T: serde::de::DeserializeOwned>(v: Value) -> T {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn scores_add_the_matching_rules_and_explain_themselves() {
        let s = Scoring::parse(req(json!({"notify_threshold": 50, "rules": [
            {"label": "Referral", "field": "source", "op": "eq", "value": "referral", "points": 30},
            {"label": "Company email", "field": "email_domain", "op": "ne", "value": "gmail.com", "points": 10},
            {"label": "Decision maker", "field": "job_title", "op": "contains", "value": "director", "points": 25},
            {"label": "Gulf", "field": "country", "op": "in", "value": ["AE", "SA"], "points": 5},
            {"label": "No phone", "field": "phone", "op": "missing", "points": -5},
        ]})))
        .unwrap();
        let f = lead(
            json!({"first_name": "Sara", "email": "sara@acme.io", "source": "referral", "job_title": "Sales Director", "country": "AE"}),
        );
        let (score, parts) = s.score(&f);
        assert_eq!(score, 65);
        assert_eq!(
            parts.iter().map(|p| p.rule.as_str()).collect::<Vec<_>>(),
            vec!["Referral", "Company email", "Decision maker", "Gulf", "No phone"]
        );
        assert!(s.crossed(Some(40), 65) && s.crossed(None, 50) && !s.crossed(Some(55), 65) && !s.crossed(Some(10), 49));
        let err =
            Scoring::parse(req(json!({"rules": [{"label": "", "field": "salary", "op": "eq", "value": 1, "points": 5000}]}))).unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["rules[0].field", "rules[0].points", "rules[0].label"]);
    }

    #[test]
    fn assignment_takes_the_first_matching_rule_then_the_pool_in_turn() {
        let (a, b, c) = (UserId::new(), UserId::new(), UserId::new());
        let s = Assignment::parse(req(
            json!({"mode": "rules", "pool": [a, b, a], "rules": [{"source": "referral", "user_id": c}, {"country": "eg", "user_id": b}]}),
        ))
        .unwrap();
        assert_eq!(s.pool, vec![a, b], "repeats dropped");
        assert_eq!(s.pick(&lead(json!({"first_name": "x", "email": "x@y.io", "source": "referral"}))), Pick::Rule(0, c));
        assert_eq!(s.pick(&lead(json!({"first_name": "x", "email": "x@y.io", "country": "EG"}))), Pick::Rule(1, b));
        assert_eq!(s.pick(&lead(json!({"first_name": "x", "email": "x@y.io"}))), Pick::RoundRobin);
        assert_eq!((s.turn(1), s.turn(2), s.turn(3)), (Some(a), Some(b), Some(a)));
        assert!(Assignment::parse(req(json!({"mode": "round_robin"}))).is_err());
        assert_eq!(Assignment::default().pick(&lead(json!({"first_name": "x", "email": "x@y.io"}))), Pick::Nobody);
    }
}
