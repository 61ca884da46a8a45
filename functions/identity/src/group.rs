//! Groups of tenant users (the spec's `groups`, `group_members`; ADR 0011): a name,
//! a unique code, default roles its members receive and (through the access
//! model) entitlement overrides. Items:
//!
//! * the group `T#{t}#GROUP#{id}` / `META`, listed by name (`by_kind`),
//!   its code held by `UNIQUE#GROUPCODE#{code}`;
//! * a member `T#{t}#GROUP#{id}` / `MEMBER#{user}` (the group's members:
//!   one key condition), mirrored by the user's `group_ids`.

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

pub const GROUP: &str = "GROUP";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GroupFields {
    pub name: String,
    pub code: String,
    pub description: Option<String>,
    pub is_active: bool,
    pub default_roles: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Group {
    pub id: EntityId,
    pub tenant_id: TenantId,
    #[serde(flatten)]
    pub fields: GroupFields,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Member {
    pub group_id: EntityId,
    pub user_id: UserId,
    pub added_at: Timestamp,
    pub added_by: UserId,
}

/// The body of `POST /v1/admin/groups` and `PATCH /v1/admin/groups/{id}`: absent keeps.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GroupChanges {
    /// Required on create; 1 to 100 characters.
    #[schemars(length(max = 100))]
    pub name: Input<String>,
    /// Required on create; unique in the tenant: 1 to 50 of a-z, 0-9 and `_`.
    #[schemars(length(max = 50), regex(pattern = r"^[a-z0-9_]*$"))]
    pub code: Input<String>,
    #[schemars(length(max = 500))]
    pub description: Input<String>,
    pub is_active: Input<bool>,
    /// Roles its members receive.
    pub default_roles: Input<Vec<String>>,
}

impl GroupFields {
    pub fn blank() -> Self {
        Self { name: String::new(), code: String::new(), description: None, is_active: true, default_roles: Vec::new() }
    }

    /// Applies a JSON object of changes (absent = keep); every problem
    /// named. Default roles are roles of the tenant's `model`.
    pub fn apply(base: &Self, c: GroupChanges, model: &crm_auth::access::AccessModel) -> Result<Self, AppError> {
        let mut f = Fields::new();
        let mut next = base.clone();
        if let Some(n) = f.text("name", c.name, 100) {
            next.name = n.unwrap_or_default();
        }
        let code = |c: &str| {
            let ok = c.len() <= 50 && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            ok.then(|| c.to_string()).ok_or_else(|| "must be 1-50 characters of a-z, 0-9 and _".to_string())
        };
        if let Some(c) = f.parsed("code", c.code, 50, code) {
            next.code = c.unwrap_or_default();
        }
        if let Some(d) = f.text("description", c.description, 500) {
            next.description = d;
        }
        if let Some(b) = f.bool("is_active", c.is_active) {
            next.is_active = b;
        }
        if c.default_roles.is_present() {
            match c.default_roles.given().filter(|a| a.iter().all(|r| model.knows_role(r))) {
                Some(mut roles) => {
                    roles.sort();
                    roles.dedup();
                    next.default_roles = roles;
                }
                _ => f.error("default_roles", format!("must be a list of {}", model.role_codes().join(", "))),
            }
        }
        f.require("name", !next.name.is_empty());
        f.require("code", !next.code.is_empty());
        f.finish(next)
    }
}

impl Group {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, GROUP, id)
    }

    pub fn code_marker(tenant: TenantId, code: &str) -> Key {
        keys::unique(tenant, "GROUPCODE", code)
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?.with_str("kind", "group").with_index(
            Index::ByKind,
            keys::by_kind_pk(self.tenant_id, GROUP),
            format!("{}#{}", self.fields.name.to_lowercase(), self.id),
        ))
    }

    pub fn grant(&self, overrides: crm_auth::access::Overrides) -> crm_auth::access::GroupGrant {
        crm_auth::access::GroupGrant { active: self.fields.is_active, roles: self.fields.default_roles.clone(), overrides }
    }
}

impl Member {
    pub fn key(tenant: TenantId, group: EntityId, user: UserId) -> Key {
        keys::group_member(tenant, &group.to_string(), &user.to_string())
    }

    pub fn to_item(&self, tenant: TenantId) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(tenant, self.group_id, self.user_id), self)?.with_str("kind", "group_member"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(v: serde_json::Value) -> GroupChanges {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn groups_parse_and_name_every_problem() {
        let g = GroupFields::apply(
            &GroupFields::blank(),
            changes(json!({"name": " Sales managers ", "code": "sales_managers", "default_roles": ["manager"]})),
            &Default::default(),
        )
        .unwrap();
        assert_eq!((g.name.as_str(), g.is_active, g.default_roles.clone()), ("Sales managers", true, vec!["manager".to_string()]));
        let err = GroupFields::apply(
            &GroupFields::blank(),
            changes(json!({"code": "Sales Team", "default_roles": ["boss"]})),
            &Default::default(),
        )
        .unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["code", "default_roles", "name"]);
        assert!(serde_json::from_value::<GroupChanges>(json!({"color": 1})).is_err(), "unknown fields are refused");
    }
}
