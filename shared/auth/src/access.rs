//! Groups, role hierarchy and entitlement overrides (ADR 0011), as the
//! authorizer applies them on every request.
//!
//! A tenant's [`AccessModel`] is one item (`T#{t}#TENANT#{t}` / `ACCESS`),
//! read in the same `BatchGetItem` as the tenant, the user and the session,
//! so a change of membership, hierarchy or override applies to the very next
//! request ("updates permissions/entitlements instantly") at no extra cost.
//!
//! * **Groups** grant default roles to their members and may override
//!   entitlements; a user's groups are listed on the user item.
//! * **Role hierarchy**: a parent role inherits every permission of its
//!   children, transitively (`manager` over `sales_rep`); edges never form
//!   a cycle.
//! * **Entitlements** take, per key, the user's override, else the largest
//!   of the user's groups' overrides, else the tenant's override, else the
//!   plan (the spec's precedence: user > group (max) > plan).

use std::collections::{BTreeMap, BTreeSet};

use crm_kernel::fields::Input;
use crm_kernel::{AppError, FieldError};
use serde::{Deserialize, Serialize};

use crate::entitlements::{Entitlements, FEATURES, LIMITS};
use crate::visibility::{Mode, Scope};

/// Most edges a tenant's hierarchy may hold.
pub const MAX_EDGES: usize = 100;

/// Feature and limit overrides at one scope (tenant, group or user).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Overrides {
    #[serde(default)]
    pub features: BTreeMap<String, bool>,
    #[serde(default)]
    pub limits: BTreeMap<String, i64>,
}

/// The body of a `PUT` of overrides (`/v1/admin/entitlements/overrides/{scope}`,
/// `/v1/ops/tenants/{id}/entitlements`).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OverridesRequest {
    /// `{feature: bool}` for features of the registry.
    pub features: Input<BTreeMap<String, Input<bool>>>,
    /// `{limit: n ≥ 0}` for limits of the registry.
    pub limits: Input<BTreeMap<String, Input<u64>>>,
}

impl Overrides {
    /// Parses overrides against the known keys; every bad entry is named.
    pub fn parse(req: OverridesRequest) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let mut out = Self::default();
        fn map<T>(input: Input<T>, field: &str, kind: &str, errors: &mut Vec<FieldError>) -> Option<T> {
            match input {
                Input::Absent | Input::Null => None,
                Input::Given(m) => Some(m),
                Input::Invalid(_) => {
                    errors.push(FieldError::new(field, format!("must be {kind}")));
                    None
                }
            }
        }
        for (k, v) in map(req.features, "features", "an object of feature: bool", &mut errors).into_iter().flatten() {
            match (FEATURES.contains(&k.as_str()), v) {
                (true, Input::Given(b)) => {
                    out.features.insert(k, b);
                }
                (false, _) => errors.push(FieldError::new(format!("features.{k}"), "is not a known feature")),
                (_, _) => errors.push(FieldError::new(format!("features.{k}"), "must be true or false")),
            }
        }
        for (k, v) in map(req.limits, "limits", "an object of limit: number", &mut errors).into_iter().flatten() {
            match (LIMITS.contains(&k.as_str()), v.given().and_then(|n| i64::try_from(n).ok())) {
                (true, Some(n)) => {
                    out.limits.insert(k, n);
                }
                (false, _) => errors.push(FieldError::new(format!("limits.{k}"), "is not a known limit")),
                (_, None) => errors.push(FieldError::new(format!("limits.{k}"), "must be a whole number ≥ 0")),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(AppError::invalid_fields(errors))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RoleEdge {
    pub parent_role: String,
    pub child_role: String,
}

/// What a group contributes to its members.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupGrant {
    pub active: bool,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub overrides: Overrides,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessModel {
    #[serde(default)]
    pub hierarchy: Vec<RoleEdge>,
    /// By group id.
    #[serde(default)]
    pub groups: BTreeMap<String, GroupGrant>,
    #[serde(default)]
    pub tenant_overrides: Overrides,
    /// What the SaaS operator sold beyond the plan (or took away), set only
    /// through `/v1/ops/…`: with the plan, the base tenant admins narrow.
    #[serde(default)]
    pub operator_grants: Overrides,
    /// Who sees whose records ([`crate::visibility`]).
    #[serde(default)]
    pub visibility: Mode,
    /// The tenant's own roles, by code ([`crate::roles`]).
    #[serde(default)]
    pub custom_roles: crate::roles::CustomRoles,
    #[serde(default)]
    pub version: u64,
}

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Source {
    User,
    Group {
        group_id: String,
    },
    Tenant,
    /// The operator's grant on top of the plan.
    Operator,
    Plan,
}

impl AccessModel {
    /// Adds `parent → child` unless it is there already; unknown roles, a
    /// self-edge or an edge closing a cycle are refused (`422 ROLE_CYCLE`).
    pub fn add_edge(&self, parent: &str, child: &str) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        for (f, r) in [("parent_role", parent), ("child_role", child)] {
            if !self.knows_role(r) {
                errors.push(FieldError::new(f, format!("must be one of {}", self.role_codes().join(", "))));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::invalid_fields(errors));
        }
        let edge = RoleEdge { parent_role: parent.into(), child_role: child.into() };
        if self.hierarchy.contains(&edge) {
            return Ok(self.clone());
        }
        if parent == child || self.descendants(child).contains(parent) {
            return Err(AppError::Rule {
                code: "ROLE_CYCLE",
                message: format!("{child} already inherits from {parent}: the edge would close a cycle"),
            });
        }
        if self.hierarchy.len() >= MAX_EDGES {
            return Err(AppError::LimitReached { key: "roles.hierarchyEdges".into(), limit: MAX_EDGES as i64 });
        }
        let mut next = self.clone();
        next.hierarchy.push(edge);
        next.hierarchy.sort();
        Ok(next)
    }

    /// Every role below `role` (its children, theirs, …), not itself.
    pub fn descendants(&self, role: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![role.to_string()];
        while let Some(r) = todo.pop() {
            for e in self.hierarchy.iter().filter(|e| e.parent_role == r) {
                if seen.insert(e.child_role.clone()) {
                    todo.push(e.child_role.clone());
                }
            }
        }
        seen
    }

    /// The user's roles and those of their active groups.
    pub fn effective_roles(&self, direct: &[String], groups: &[String]) -> Vec<String> {
        let mut roles: Vec<String> = direct.to_vec();
        for g in groups.iter().filter_map(|g| self.groups.get(g)).filter(|g| g.active) {
            for r in &g.roles {
                if !roles.contains(r) {
                    roles.push(r.clone());
                }
            }
        }
        roles
    }

    /// The reach of a user with effective `roles` in `groups`: the tenant's
    /// mode, the user's active groups and the roles below theirs.
    pub fn scope(&self, roles: &[String], groups: &[String]) -> Scope {
        let managed: BTreeSet<String> = roles.iter().flat_map(|r| self.descendants(r)).filter(|r| !roles.contains(r)).collect();
        Scope {
            mode: self.visibility,
            groups: groups.iter().filter(|g| self.groups.get(*g).is_some_and(|g| g.active)).cloned().collect(),
            managed_roles: managed.into_iter().collect(),
        }
    }

    /// The permission codes of `roles` and of every role below them.
    pub fn permissions(&self, roles: &[String]) -> BTreeSet<String> {
        let mut all: BTreeSet<String> = roles.iter().cloned().collect();
        for r in roles {
            all.extend(self.descendants(r));
        }
        all.iter().flat_map(|r| self.own_permissions(r)).collect()
    }

    /// The entitlements of a member of `groups` with `user` overrides, and
    /// where each overridden value came from.
    ///
    /// Overrides only *narrow* the base (the plan with the operator's
    /// grants): a feature the base lacks stays off whatever an override
    /// says, and a limit never exceeds the base's ("sold, not self-served").
    pub fn entitlements(&self, plan: &str, groups: &[String], user: &Overrides) -> (Entitlements, BTreeMap<String, Source>) {
        let (base, mut sources) = self.base(plan);
        let mut e = base.clone();
        let active: Vec<(&String, &GroupGrant)> =
            groups.iter().filter_map(|g| self.groups.get_key_value(g)).filter(|(_, g)| g.active).collect();
        for f in FEATURES {
            if let Some((value, source)) = resolve(f, user, &active, &self.tenant_overrides, |o| &o.features) {
                e.features.retain(|x| x != f);
                if value && base.has(f) {
                    e.features.push(f);
                }
                sources.insert(f.to_string(), source);
            }
        }
        for l in LIMITS {
            if let Some((value, source)) = resolve(l, user, &active, &self.tenant_overrides, |o| &o.limits) {
                e.limits.insert(l, value.min(base.limit(l)));
                sources.insert(l.to_string(), source);
            }
        }
        e.features.sort();
        (e, sources)
    }

    /// The plan with the operator's grants: the most any override may give.
    pub fn base(&self, plan: &str) -> (Entitlements, BTreeMap<String, Source>) {
        let mut e = Entitlements::for_plan(plan);
        let mut sources = BTreeMap::new();
        for (f, on) in &self.operator_grants.features {
            if let Some(known) = FEATURES.iter().find(|k| *k == f) {
                e.features.retain(|x| x != known);
                if *on {
                    e.features.push(known);
                }
                sources.insert(f.clone(), Source::Operator);
            }
        }
        for (l, v) in &self.operator_grants.limits {
            if let Some(known) = LIMITS.iter().find(|k| *k == l) {
                e.limits.insert(known, *v);
                sources.insert(l.clone(), Source::Operator);
            }
        }
        e.features.sort();
        (e, sources)
    }

    /// Refuses overrides that would give more than the base: a feature it
    /// lacks turned on, a limit above its value (`422 ENTITLEMENT_ABOVE_PLAN`,
    /// naming each key). Raising is the operator's, or a plan change.
    pub fn check_narrowing(&self, plan: &str, o: &Overrides) -> Result<(), AppError> {
        let (base, _) = self.base(plan);
        let mut above: Vec<String> = o.features.iter().filter(|(f, on)| **on && !base.has(f)).map(|(f, _)| f.clone()).collect();
        above.extend(o.limits.iter().filter(|(l, v)| **v > base.limit(l)).map(|(l, v)| format!("{l}={v} (plan: {})", base.limit(l))));
        if above.is_empty() {
            return Ok(());
        }
        Err(AppError::Rule {
            code: "ENTITLEMENT_ABOVE_PLAN",
            message: format!(
                "overrides may only narrow what the plan gives; above it: {}. Raising is a plan change or the operator's",
                above.join(", ")
            ),
        })
    }
}

/// One key's override and its source: the user's, else the largest of the
/// active groups', else the tenant's; `None` leaves the plan's value.
fn resolve<V: Copy + Ord>(
    key: &str,
    user: &Overrides,
    groups: &[(&String, &GroupGrant)],
    tenant: &Overrides,
    of: impl Fn(&Overrides) -> &BTreeMap<String, V>,
) -> Option<(V, Source)> {
    if let Some(v) = of(user).get(key) {
        return Some((*v, Source::User));
    }
    let group = groups.iter().filter_map(|(id, g)| of(&g.overrides).get(key).map(|v| (*v, *id))).max_by_key(|(v, _)| *v);
    if let Some((v, id)) = group {
        return Some((v, Source::Group { group_id: id.clone() }));
    }
    of(tenant).get(key).map(|v| (*v, Source::Tenant))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac;
    use serde_json::{json, Value};

    fn roles(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parents_inherit_their_childrens_permissions_and_cycles_are_refused() {
        let m = AccessModel::default().add_edge("viewer", "sales_rep").unwrap();
        assert!(m.permissions(&roles(&["viewer"])).contains(rbac::CONTACT_CREATE.0), "a viewer over reps may create");
        assert!(!AccessModel::default().permissions(&roles(&["viewer"])).contains(rbac::CONTACT_CREATE.0));
        let m = m.add_edge("sales_rep", "staff").unwrap();
        assert_eq!(m.descendants("viewer"), ["sales_rep", "staff"].iter().map(|s| s.to_string()).collect());
        assert_eq!(m.add_edge("staff", "viewer").unwrap_err().code(), "ROLE_CYCLE");
        assert_eq!(m.add_edge("staff", "staff").unwrap_err().code(), "ROLE_CYCLE");
        assert_eq!(m.add_edge("viewer", "sales_rep").unwrap(), m, "an edge twice is one edge");
        assert_eq!(m.add_edge("boss", "staff").unwrap_err().details()[0].field, "parent_role");
    }

    #[test]
    fn groups_grant_roles_only_while_active() {
        let mut m = AccessModel::default();
        m.groups.insert("G1".into(), GroupGrant { active: true, roles: roles(&["manager"]), overrides: Overrides::default() });
        m.groups.insert("G2".into(), GroupGrant { active: false, roles: roles(&["admin"]), overrides: Overrides::default() });
        let eff = m.effective_roles(&roles(&["sales_rep"]), &roles(&["G1", "G2", "gone"]));
        assert_eq!(eff, roles(&["sales_rep", "manager"]));
    }

    #[test]
    fn overrides_narrow_the_plan_and_only_the_operator_raises_it() {
        let ov = |v: Value| Overrides::parse(serde_json::from_value(v).unwrap()).unwrap();
        let self_served = AccessModel {
            tenant_overrides: ov(json!({"features": {"notifications.sms": true}, "limits": {"users.max": 100000}})),
            ..Default::default()
        };
        let (e, _) = self_served.entitlements("DevFree", &[], &Overrides::default());
        assert!(!e.has("notifications.sms"), "a feature the plan lacks stays off");
        assert_eq!(e.limit("users.max"), 3, "a limit never passes the plan's");
        let err = self_served.check_narrowing("DevFree", &self_served.tenant_overrides).unwrap_err();
        assert_eq!(err.code(), "ENTITLEMENT_ABOVE_PLAN");
        assert!(self_served
            .check_narrowing("DevFree", &ov(json!({"limits": {"users.max": 2}, "features": {"twofa.totp": false}})))
            .is_ok());
        let sold = AccessModel {
            operator_grants: ov(json!({"features": {"notifications.sms": true}, "limits": {"users.max": 10}})),
            ..self_served
        };
        let (e, s) = sold.entitlements("DevFree", &[], &Overrides::default());
        assert!(e.has("notifications.sms"));
        assert_eq!(
            (e.limit("users.max"), s["users.max"].clone()),
            (10, Source::Tenant),
            "the tenant's 100000 is held at the operator's 10"
        );
        assert_eq!(sold.base("DevFree").1["users.max"], Source::Operator);
    }

    #[test]
    fn user_beats_the_largest_group_which_beats_tenant_and_plan() {
        let ov = |v: Value| Overrides::parse(serde_json::from_value(v).unwrap()).unwrap();
        let mut m = AccessModel {
            tenant_overrides: ov(json!({"limits": {"contacts.max": 100}})),
            operator_grants: ov(json!({"features": {"contacts.customFields": true}})),
            ..Default::default()
        };
        m.groups.insert(
            "G1".into(),
            GroupGrant {
                active: true,
                roles: vec![],
                overrides: ov(json!({"limits": {"contacts.max": 500}, "features": {"contacts.customFields": true}})),
            },
        );
        m.groups.insert("G2".into(), GroupGrant { active: true, roles: vec![], overrides: ov(json!({"limits": {"contacts.max": 800}})) });
        let (e, s) = m.entitlements("DevFree", &roles(&["G1", "G2"]), &Overrides::default());
        assert_eq!((e.limit("contacts.max"), e.has("contacts.customFields")), (800, true));
        assert_eq!(s["contacts.max"], Source::Group { group_id: "G2".into() });
        let (e, s) = m.entitlements("DevFree", &roles(&["G1"]), &ov(json!({"features": {"contacts.customFields": false}})));
        assert_eq!((e.limit("contacts.max"), e.has("contacts.customFields")), (500, false));
        assert_eq!(s["contacts.customFields"], Source::User);
        let (e, s) = m.entitlements("DevFree", &[], &Overrides::default());
        assert_eq!((e.limit("contacts.max"), s["contacts.max"].clone()), (100, Source::Tenant));
        assert_eq!(e.limit("users.max"), 3, "the plan where nothing overrides");
        let bad = Overrides::parse(serde_json::from_value(json!({"features": {"teleport": true}, "limits": {"users.max": -1}})).unwrap())
            .unwrap_err();
        let fields: Vec<_> = bad.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["features.teleport", "limits.users.max"]);
    }
}
