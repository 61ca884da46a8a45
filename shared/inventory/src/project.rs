//! A project (the spec's `projects`): a development with its buildings, and
//! the reservation policy its units are sold under.
//!
//! Stored as `T#{t}#PROJECT#{id}` / `META`, listed by `by_kind` `PROJECT`
//! (by name); its availability read model lives in its own partition
//! ([`crate::availability`]).

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, TenantId, Timestamp};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

pub const PROJECT: &str = "PROJECT";

/// How long a project's units may be held: a reservation's default and
/// longest term (longer needs an approved extension), and a rep's courtesy
/// hold, with how many one rep may have at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReservationPolicy {
    /// 1–90, default 7.
    pub default_days: u32,
    /// `default_days`–365, default 30: a reservation runs at most this long
    /// from when it was made unless an extension is approved.
    pub max_days: u32,
    /// 1–72, default 24: a courtesy hold's term.
    pub hold_hours: u32,
    /// 1–20, default 3: active courtesy holds per rep across the tenant's projects.
    pub holds_per_user: u32,
}

impl Default for ReservationPolicy {
    fn default() -> Self {
        Self { default_days: 7, max_days: 30, hold_hours: 24, holds_per_user: 3 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Project {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub name: String,
    pub location: Option<String>,
    pub description: Option<String>,
    /// The developer (a company of the tenant).
    pub developer_id: Option<EntityId>,
    /// `YYYY-MM-DD`: when units are handed over (payment plans' `on_handover` lines fall due then).
    pub handover_date: Option<String>,
    pub reservation_policy: ReservationPolicy,
    /// The group told when a unit is reserved (with the unit's owner).
    #[serde(default)]
    pub sales_team_group_id: Option<EntityId>,
    /// The groups told when a unit is sold.
    #[serde(default)]
    pub finance_group_id: Option<EntityId>,
    #[serde(default)]
    pub marketing_group_id: Option<EntityId>,
    pub created_by: crm_kernel::UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// The body of `POST /v1/projects` and `PATCH /v1/projects/{id}`: absent keeps, `null` clears.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProjectChanges {
    /// Required; 1 to 200 characters.
    #[schemars(length(min = 1, max = 200))]
    pub name: Input<String>,
    #[schemars(length(max = 200))]
    pub location: Input<String>,
    #[schemars(length(max = 2000))]
    pub description: Input<String>,
    /// A company of the tenant.
    pub developer_id: Input<EntityId>,
    #[schemars(extend("format" = "date"))]
    pub handover_date: Input<String>,
    pub reservation_policy: Input<PolicyChanges>,
    /// A group of the tenant: told about reservations.
    pub sales_team_group_id: Input<EntityId>,
    /// A group of the tenant: told about sales.
    pub finance_group_id: Input<EntityId>,
    /// A group of the tenant: told about sales.
    pub marketing_group_id: Input<EntityId>,
}

/// A reservation policy's changes (absent keeps).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyChanges {
    #[schemars(range(min = 1, max = 90))]
    pub default_days: Input<i64>,
    #[schemars(range(min = 1, max = 365))]
    pub max_days: Input<i64>,
    #[schemars(range(min = 1, max = 72))]
    pub hold_hours: Input<i64>,
    #[schemars(range(min = 1, max = 20))]
    pub holds_per_user: Input<i64>,
}

impl Project {
    /// The groups it names that `before` did not (to check they exist), with their fields.
    pub fn new_groups(&self, before: Option<&Project>) -> Vec<(&'static str, EntityId)> {
        [
            ("sales_team_group_id", self.sales_team_group_id, before.and_then(|b| b.sales_team_group_id)),
            ("finance_group_id", self.finance_group_id, before.and_then(|b| b.finance_group_id)),
            ("marketing_group_id", self.marketing_group_id, before.and_then(|b| b.marketing_group_id)),
        ]
        .into_iter()
        .filter_map(|(k, now, was)| now.filter(|g| Some(*g) != was).map(|g| (k, g)))
        .collect()
    }

    pub fn key(t: TenantId, id: EntityId) -> Key {
        keys::entity(t, PROJECT, id)
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?.with_str("kind", "project").with_index(
            Index::ByKind,
            keys::by_kind_pk(self.tenant_id, PROJECT),
            format!("{}#{}", self.name.to_lowercase(), self.id),
        ))
    }

    /// A new project of `t` made of `c`.
    pub fn new(t: TenantId, by: crm_kernel::UserId, c: ProjectChanges, now: Timestamp) -> Result<Self, AppError> {
        let blank = Project {
            id: EntityId::new(),
            tenant_id: t,
            name: String::new(),
            location: None,
            description: None,
            developer_id: None,
            handover_date: None,
            reservation_policy: ReservationPolicy::default(),
            sales_team_group_id: None,
            finance_group_id: None,
            marketing_group_id: None,
            created_by: by,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        blank.apply(c, now)
    }

    /// This project changed by `c`: the next version, every problem named.
    pub fn apply(&self, c: ProjectChanges, now: Timestamp) -> Result<Self, AppError> {
        let mut f = Fields::new();
        let mut next = self.clone();
        if let Some(n) = f.text("name", c.name, 200) {
            next.name = n.unwrap_or_default();
        }
        if let Some(v) = f.text("location", c.location, 200) {
            next.location = v;
        }
        if let Some(v) = f.prose("description", c.description, 2000) {
            next.description = v;
        }
        if let Some(v) = f.entity_id("developer_id", c.developer_id) {
            next.developer_id = v;
        }
        for (key, input, into) in [
            ("sales_team_group_id", c.sales_team_group_id, &mut next.sales_team_group_id),
            ("finance_group_id", c.finance_group_id, &mut next.finance_group_id),
            ("marketing_group_id", c.marketing_group_id, &mut next.marketing_group_id),
        ] {
            if let Some(v) = f.entity_id(key, input) {
                *into = v;
            }
        }
        if let Some(d) = f.date("handover_date", c.handover_date) {
            next.handover_date = d.map(|d| d.format("%Y-%m-%d").to_string());
        }
        if let Some(p) = f.set("reservation_policy", c.reservation_policy, "must be an object") {
            let mut g = Fields::nested("reservation_policy");
            let policy = &mut next.reservation_policy;
            let int = |g: &mut Fields, key: &str, input: Input<i64>, range: std::ops::RangeInclusive<i64>, into: &mut u32| {
                if let Some(n) = g.int(key, input, range) {
                    *into = n as u32;
                }
            };
            int(&mut g, "default_days", p.default_days, 1..=90, &mut policy.default_days);
            int(&mut g, "max_days", p.max_days, 1..=365, &mut policy.max_days);
            int(&mut g, "hold_hours", p.hold_hours, 1..=72, &mut policy.hold_hours);
            int(&mut g, "holds_per_user", p.holds_per_user, 1..=20, &mut policy.holds_per_user);
            if policy.max_days < policy.default_days {
                g.error("max_days", "must be at least default_days");
            }
            f.absorb(g.into_errors());
        }
        f.require("name", !next.name.is_empty());
        let next = f.finish(next)?;
        Ok(Project { updated_at: now, version: self.version + 1, ..next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(v: serde_json::Value) -> ProjectChanges {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_project_is_parsed_whole_with_its_policy() {
        let now = Timestamp::now();
        let t = TenantId::new();
        let by = crm_kernel::UserId::new();
        let p = Project::new(t, by, changes(json!({"name": "Palm Residences", "handover_date": "2028-06-30"})), now).unwrap();
        assert_eq!((p.version, p.reservation_policy), (1, ReservationPolicy::default()));
        let bad = Project::new(
            t,
            by,
            changes(
                json!({"name": "", "handover_date": "soon", "reservation_policy": {"default_days": 40, "max_days": 10, "hold_hours": 100}}),
            ),
            now,
        )
        .unwrap_err();
        let fields: Vec<&str> = bad.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["handover_date", "reservation_policy.hold_hours", "reservation_policy.max_days", "name"]);
        let next = p.apply(changes(json!({"reservation_policy": {"max_days": 60}, "location": null})), now).unwrap();
        assert_eq!((next.reservation_policy.max_days, next.reservation_policy.default_days, next.version), (60, 7, 2));
    }
}
