//! A building of a project (the spec's `buildings`): a tower, a block, a
//! row of villas.
//!
//! Stored as `T#{t}#BUILDING#{id}` / `META`, listed by `by_kind` `BUILDING`
//! and under its project by `by_parent` `PROJECT#{id}` (by name).

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, TenantId, Timestamp};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

pub const BUILDING: &str = "BUILDING";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Building {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub project_id: EntityId,
    pub name: String,
    /// Floors above ground, 1–300.
    pub floors: Option<u32>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// The body of `POST /v1/buildings` (with `project_id`) and `PATCH /v1/buildings/{id}`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BuildingChanges {
    /// Create only: the project it belongs to.
    pub project_id: Input<EntityId>,
    /// Required; 1 to 200 characters, unique in its project.
    #[schemars(length(min = 1, max = 200))]
    pub name: Input<String>,
    #[schemars(range(min = 1, max = 300))]
    pub floors: Input<i64>,
}

impl Building {
    pub fn key(t: TenantId, id: EntityId) -> Key {
        keys::entity(t, BUILDING, id)
    }

    /// The marker that keeps building names unique in a project.
    pub fn name_marker(t: TenantId, project: EntityId, name: &str) -> Key {
        keys::unique(t, "BUILDINGNAME", &format!("{project}#{}", name.to_lowercase()))
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        let sort = format!("{}#{}", self.name.to_lowercase(), self.id);
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?
            .with_str("kind", "building")
            .with_index(Index::ByKind, keys::by_kind_pk(self.tenant_id, BUILDING), sort.clone())
            .with_index(Index::ByParent, keys::by_parent_pk(self.tenant_id, crate::project::PROJECT, &self.project_id.to_string()), sort))
    }

    /// A new building made of `c` (its `project_id` read by the caller).
    pub fn new(t: TenantId, project_id: EntityId, c: BuildingChanges, now: Timestamp) -> Result<Self, AppError> {
        let blank = Building {
            id: EntityId::new(),
            tenant_id: t,
            project_id,
            name: String::new(),
            floors: None,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        blank.apply(BuildingChanges { project_id: Input::Absent, ..c }, now)
    }

    /// This building changed by `c` (a building stays in its project).
    pub fn apply(&self, c: BuildingChanges, now: Timestamp) -> Result<Self, AppError> {
        let mut f = Fields::new();
        f.refuse("project_id", &c.project_id, "a building stays in its project");
        let mut next = self.clone();
        if let Some(n) = f.text("name", c.name, 200) {
            next.name = n.unwrap_or_default();
        }
        match c.floors {
            Input::Absent => {}
            Input::Null => next.floors = None,
            other => {
                if let Some(n) = f.int("floors", other, 1..=300) {
                    next.floors = Some(n as u32);
                }
            }
        }
        f.require("name", !next.name.is_empty());
        let next = f.finish(next)?;
        Ok(Building { updated_at: now, version: self.version + 1, ..next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_building_stays_in_its_project() {
        let now = Timestamp::now();
        let c = |v| serde_json::from_value::<BuildingChanges>(v).unwrap();
        let b = Building::new(TenantId::new(), EntityId::new(), c(json!({"name": "Tower A", "floors": 12})), now).unwrap();
        assert_eq!((b.floors, b.version), (Some(12), 1));
        let moved = b.apply(c(json!({"project_id": EntityId::new(), "floors": 0})), now).unwrap_err();
        let fields: Vec<&str> = moved.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["project_id", "floors"]);
        assert_eq!(b.apply(c(json!({"floors": null})), now).unwrap().floors, None);
    }
}
