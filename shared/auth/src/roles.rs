//! A tenant's own roles (ADR 0022): a code, a name and permission codes
//! picked from the registry ([`crate::rbac::ALL`]), kept in the tenant's
//! [`AccessModel`] beside the hierarchy and groups, so the authorizer reads
//! them in the batch it already makes and a change applies on the next
//! request.
//!
//! The rules, pure and unit-tested here; the handlers load, ask and write:
//! * a code is `a-z`, `0-9` and `_` (2–40, a letter first), never a default
//!   role's, nor a word the role routes use (`hierarchy`, `visibility`);
//! * at least one permission, every one known — and held by whoever puts it
//!   in (the grant rule, [`crate::grant`]: nobody hands out what they lack);
//! * at most `roles.max` custom roles (the plan's limit), checked against the
//!   model written under its version, so two creates cannot both pass;
//! * a role in use (held by a user, given by a group, linked in the
//!   hierarchy) is not deleted (`422 ROLE_IN_USE`): reassign first.

use std::collections::{BTreeMap, BTreeSet};

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, Timestamp};
use serde::{Deserialize, Serialize};

use crate::access::AccessModel;
use crate::rbac;

/// Words the role routes take after `/v1/admin/roles/`: never a role code.
pub const RESERVED: &[&str] = &["hierarchy", "visibility"];

/// A custom role as stored in the access model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CustomRole {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub permissions: BTreeSet<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The body of `POST /v1/admin/roles` (all but `code` also of `PATCH`):
/// absent keeps, as every change set.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RoleChanges {
    /// `a-z`, `0-9`, `_`; 2–40 characters, a letter first; set on create only.
    #[schemars(length(min = 2, max = 40), regex(pattern = r"^[a-z][a-z0-9_]{1,39}$"))]
    pub code: Input<String>,
    #[schemars(length(min = 1, max = 100))]
    pub name: Input<String>,
    #[schemars(length(max = 500))]
    pub description: Input<String>,
    /// Codes of the permission registry, each held by the caller.
    pub permissions: Input<Vec<String>>,
}

/// Whether `code` may name a new custom role.
fn valid_code(code: &str) -> Result<String, String> {
    let shape = code.len() >= 2
        && code.len() <= 40
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !shape {
        return Err("must be 2-40 characters of a-z, 0-9 and _, starting with a letter".into());
    }
    if rbac::ROLES.contains(&code) || RESERVED.contains(&code) {
        return Err(format!("`{code}` is taken by a default role or a route"));
    }
    Ok(code.to_string())
}

/// The permission codes of a request: known ones, deduplicated; the rest named.
fn parse_permissions(f: &mut Fields, input: Input<Vec<String>>) -> Option<BTreeSet<String>> {
    let list = f.set("permissions", input, "must be a list of permission codes")?;
    let mut out = BTreeSet::new();
    for (i, code) in list.iter().enumerate() {
        if rbac::parse(code).is_none() {
            f.error(&format!("permissions[{i}]"), format!("`{code}` is not a permission code"));
        } else {
            out.insert(code.clone());
        }
    }
    if list.is_empty() {
        f.error("permissions", "at least one permission is required");
    }
    Some(out)
}

/// Refuses codes the caller does not hold (`403`, naming them).
fn check_held(permissions: &BTreeSet<String>, held: &BTreeSet<String>) -> Result<(), AppError> {
    let lacking: Vec<&str> = permissions.iter().filter(|p| !held.contains(*p)).map(String::as_str).collect();
    if lacking.is_empty() {
        return Ok(());
    }
    Err(AppError::Forbidden(format!("you may put in a role only permissions you hold; you lack {}", lacking.join(", "))))
}

impl AccessModel {
    /// Whether `role` is a default role or one of the tenant's.
    pub fn knows_role(&self, role: &str) -> bool {
        rbac::ROLES.contains(&role) || self.custom_roles.contains_key(role)
    }

    /// Every role the tenant can assign: the defaults, then its own.
    pub fn role_codes(&self) -> Vec<String> {
        rbac::ROLES.iter().map(|r| r.to_string()).chain(self.custom_roles.keys().cloned()).collect()
    }

    /// The codes `role` itself grants (not those it inherits).
    pub fn own_permissions(&self, role: &str) -> BTreeSet<String> {
        match self.custom_roles.get(role) {
            // A code retired from the registry grants nothing any more.
            Some(c) => c.permissions.iter().filter(|p| rbac::parse(p).is_some()).cloned().collect(),
            None => rbac::default_permissions(role).iter().map(|p| p.0.to_string()).collect(),
        }
    }

    /// Adds the custom role of `c` for a caller holding `held`, within `max`
    /// custom roles: the next model and the role's code.
    pub fn create_role(
        &self,
        c: RoleChanges,
        held: &BTreeSet<String>,
        max: i64,
        now: Timestamp,
    ) -> Result<(AccessModel, String), AppError> {
        let mut f = Fields::new();
        let code = f.parsed("code", c.code, 40, valid_code).flatten();
        let name = f.text("name", c.name, 100).flatten();
        let description = f.text("description", c.description, 500).flatten();
        let permissions = parse_permissions(&mut f, c.permissions);
        f.require("code", code.is_some());
        f.require("name", name.is_some());
        f.require("permissions", permissions.is_some());
        let (code, name, permissions) = f.finish((code, name, permissions))?;
        let (Some(code), Some(name), Some(permissions)) = (code, name, permissions) else {
            return Err(AppError::invalid("body", "code, name and permissions are required"));
        };
        check_held(&permissions, held)?;
        if self.custom_roles.contains_key(&code) {
            return Err(AppError::Conflict(format!("a role `{code}` exists already")));
        }
        if self.custom_roles.len() as i64 >= max {
            return Err(AppError::LimitReached { key: "roles.max".into(), limit: max });
        }
        let mut next = self.clone();
        next.custom_roles.insert(code.clone(), CustomRole { name, description, permissions, created_at: now, updated_at: now });
        Ok((next, code))
    }

    /// Changes the custom role `code`: the next model. Every code added *or
    /// removed* must be the caller's, as for any grant.
    pub fn update_role(&self, code: &str, c: RoleChanges, held: &BTreeSet<String>, now: Timestamp) -> Result<AccessModel, AppError> {
        let current = self.custom_roles.get(code).ok_or(AppError::NotFound)?;
        let mut f = Fields::new();
        f.refuse("code", &c.code, "a role's code cannot change; create another role");
        let mut role = current.clone();
        if let Some(n) = f.text("name", c.name, 100) {
            f.require("name", n.is_some());
            role.name = n.unwrap_or_default();
        }
        if let Some(d) = f.text("description", c.description, 500) {
            role.description = d;
        }
        if c.permissions.is_present() {
            if let Some(p) = parse_permissions(&mut f, c.permissions) {
                role.permissions = p;
            }
        }
        let role = f.finish(role)?;
        let changed: BTreeSet<String> = role.permissions.symmetric_difference(&current.permissions).cloned().collect();
        check_held(&changed, held)?;
        if role == *current {
            return Ok(self.clone());
        }
        let mut next = self.clone();
        next.custom_roles.insert(code.to_string(), CustomRole { updated_at: now, ..role });
        Ok(next)
    }

    /// Removes the custom role `code` unless a group gives it or the
    /// hierarchy links it (users holding it are counted by the caller, in
    /// the same transaction).
    pub fn delete_role(&self, code: &str) -> Result<AccessModel, AppError> {
        if !self.custom_roles.contains_key(code) {
            return Err(AppError::NotFound);
        }
        let groups: Vec<&str> = self.groups.iter().filter(|(_, g)| g.roles.iter().any(|r| r == code)).map(|(id, _)| id.as_str()).collect();
        let edges = self.hierarchy.iter().filter(|e| e.parent_role == code || e.child_role == code).count();
        if !groups.is_empty() || edges > 0 {
            return Err(in_use(
                code,
                &format!("{} group(s) give it ({}), {edges} hierarchy link(s) name it", groups.len(), groups.join(", ")),
            ));
        }
        let mut next = self.clone();
        next.custom_roles.remove(code);
        Ok(next)
    }
}

/// `422 ROLE_IN_USE`: the role is assigned; reassign first.
pub fn in_use(code: &str, why: &str) -> AppError {
    AppError::Rule { code: "ROLE_IN_USE", message: format!("the role `{code}` is in use ({why}); reassign it first") }
}

/// The custom roles added and removed between two role lists (what the
/// holders counts follow): `(added, removed)`.
pub fn custom_changes<'a>(before: &'a [String], after: &'a [String]) -> (Vec<&'a str>, Vec<&'a str>) {
    let custom = |r: &&String| !rbac::ROLES.contains(&r.as_str());
    let added = after.iter().filter(|r| !before.contains(r)).filter(custom).map(String::as_str).collect();
    let removed = before.iter().filter(|r| !after.contains(r)).filter(custom).map(String::as_str).collect();
    (added, removed)
}

/// A role as the API lists it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RoleView {
    pub code: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the tenant made it (`false`: a default role).
    pub custom: bool,
    /// The codes it grants itself (the hierarchy may add more:
    /// `GET /v1/admin/roles/{id}/permissions`).
    pub permissions: BTreeSet<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
}

impl AccessModel {
    /// The role `code` as the API shows it (`None`: no such role).
    pub fn role_view(&self, code: &str) -> Option<RoleView> {
        if let Some(c) = self.custom_roles.get(code) {
            return Some(RoleView {
                code: code.to_string(),
                name: c.name.clone(),
                description: c.description.clone(),
                custom: true,
                permissions: self.own_permissions(code),
                created_at: Some(c.created_at),
                updated_at: Some(c.updated_at),
            });
        }
        rbac::ROLES.contains(&code).then(|| RoleView {
            code: code.to_string(),
            name: code.replace('_', " "),
            description: None,
            custom: false,
            permissions: self.own_permissions(code),
            created_at: None,
            updated_at: None,
        })
    }

    /// Every role, defaults first.
    pub fn role_views(&self) -> Vec<RoleView> {
        self.role_codes().iter().filter_map(|c| self.role_view(c)).collect()
    }
}

/// Custom roles by code (the access model's map).
pub type CustomRoles = BTreeMap<String, CustomRole>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(v: serde_json::Value) -> RoleChanges {
        serde_json::from_value(v).unwrap()
    }

    fn held(codes: &[&str]) -> BTreeSet<String> {
        codes.iter().map(|s| s.to_string()).collect()
    }

    fn now() -> Timestamp {
        Timestamp::now()
    }

    #[test]
    fn a_role_holds_only_known_codes_its_creator_holds() {
        let m = AccessModel::default();
        let mine = held(&["deal.read", "contact.read"]);
        let (next, code) = m
            .create_role(changes(json!({"code": "field_agent", "name": "Field agent", "permissions": ["deal.read"]})), &mine, 5, now())
            .unwrap();
        assert_eq!(code, "field_agent");
        assert!(next.knows_role("field_agent"));
        assert_eq!(next.permissions(&["field_agent".to_string()]), held(&["deal.read"]));
        let above =
            m.create_role(changes(json!({"code": "boss", "name": "Boss", "permissions": ["deal.read", "user.manage"]})), &mine, 5, now());
        assert_eq!(above.unwrap_err().code(), "FORBIDDEN", "user.manage is not the creator's");
        let bad =
            m.create_role(changes(json!({"code": "Admin!", "name": "", "permissions": ["teleport.now"]})), &mine, 5, now()).unwrap_err();
        let fields: Vec<String> = bad.details().iter().map(|d| d.field.clone()).collect();
        assert_eq!(fields, ["code", "permissions[0]", "name"]);
        for taken in ["admin", "hierarchy", "visibility"] {
            let e = m.create_role(changes(json!({"code": taken, "name": "x", "permissions": ["deal.read"]})), &mine, 5, now()).unwrap_err();
            assert_eq!(e.details()[0].field, "code", "{taken}");
        }
        let again = next.create_role(changes(json!({"code": "field_agent", "name": "x", "permissions": ["deal.read"]})), &mine, 5, now());
        assert_eq!(again.unwrap_err().code(), "CONFLICT");
        let full = next.create_role(changes(json!({"code": "second", "name": "x", "permissions": ["deal.read"]})), &mine, 1, now());
        assert_eq!(full.unwrap_err().code(), "LIMIT_REACHED");
    }

    #[test]
    fn an_update_adds_or_removes_only_held_codes_and_keeps_its_code() {
        let all: BTreeSet<String> = rbac::ALL.iter().map(|p| p.0.to_string()).collect();
        let (m, _) = AccessModel::default()
            .create_role(changes(json!({"code": "auditor", "name": "Auditor", "permissions": ["audit.read", "deal.read"]})), &all, 5, now())
            .unwrap();
        let rep = held(&["deal.read", "contact.read"]);
        let ok = m.update_role("auditor", changes(json!({"permissions": ["deal.read", "contact.read"], "name": "Reader"})), &all, now());
        assert_eq!(ok.unwrap().custom_roles["auditor"].name, "Reader");
        let e = m.update_role("auditor", changes(json!({"permissions": ["deal.read"]})), &rep, now()).unwrap_err();
        assert_eq!(e.code(), "FORBIDDEN", "taking audit.read away is granting too");
        let e = m.update_role("auditor", changes(json!({"code": "other"})), &all, now()).unwrap_err();
        assert_eq!(e.details()[0].field, "code");
        assert_eq!(m.update_role("nobody", changes(json!({})), &all, now()).unwrap_err().code(), "NOT_FOUND");
        assert_eq!(m.update_role("auditor", changes(json!({"name": "Auditor"})), &rep, now()).unwrap(), m, "no change, no write");
    }

    #[test]
    fn a_role_given_by_a_group_or_linked_in_the_hierarchy_is_not_deleted() {
        let all: BTreeSet<String> = rbac::ALL.iter().map(|p| p.0.to_string()).collect();
        let (m, _) = AccessModel::default()
            .create_role(changes(json!({"code": "auditor", "name": "Auditor", "permissions": ["audit.read"]})), &all, 5, now())
            .unwrap();
        let linked = m.add_edge("manager", "auditor").unwrap();
        assert!(linked.permissions(&["manager".to_string()]).contains("audit.read"), "a parent inherits a custom child");
        assert_eq!(linked.delete_role("auditor").unwrap_err().code(), "ROLE_IN_USE");
        let mut grouped = m.clone();
        grouped.groups.insert("G1".into(), crate::access::GroupGrant { active: true, roles: vec!["auditor".into()], ..Default::default() });
        assert_eq!(grouped.delete_role("auditor").unwrap_err().code(), "ROLE_IN_USE");
        assert!(!m.delete_role("auditor").unwrap().knows_role("auditor"));
        assert_eq!(m.delete_role("admin").unwrap_err().code(), "NOT_FOUND", "a default role is not deleted");
    }

    #[test]
    fn custom_changes_name_the_roles_added_and_removed() {
        let before = vec!["sales_rep".to_string(), "auditor".to_string()];
        let after = vec!["viewer".to_string(), "field_agent".to_string()];
        assert_eq!(custom_changes(&before, &after), (vec!["field_agent"], vec!["auditor"]));
    }
}
