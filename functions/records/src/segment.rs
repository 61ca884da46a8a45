//! Segments (the spec's "saved filters"): a name and the very filter the
//! contacts or companies list takes; running a segment runs that list, so
//! it returns the same rows the equivalent `GET` does (`owner: "me"` means
//! whoever runs it). Campaign audiences refer to them later.

use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const SEGMENT: &str = "SEGMENT";
pub const ENTITIES: &[&str] = &["contact", "company"];

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Segment {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub entity: String,
    pub name: String,
    pub filter: Value,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

impl Segment {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, SEGMENT, id)
    }

    pub fn entity_pk(tenant: TenantId, entity: &str) -> String {
        keys::by_parent_pk(tenant, "SEGMENTS", entity)
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?.with_index(
            Index::ByParent,
            Self::entity_pk(self.tenant_id, &self.entity),
            format!("{}#{}", crm_kernel::search::normalise(&self.name), self.id),
        ))
    }
}

/// Checks a filter for `entity` (it must be what that list accepts).
pub fn check_filter(entity: &str, filter: &Value) -> Result<(), AppError> {
    let bad = |e: serde_json::Error| AppError::invalid("filter", format!("not a {entity} filter: {e}"));
    match entity {
        "contact" => serde_json::from_value::<crate::contacts::list::Filter>(filter.clone()).map_err(bad)?.validate(),
        "company" => serde_json::from_value::<crate::companies::list::Filter>(filter.clone()).map_err(bad)?.validate(),
        _ => Err(AppError::invalid("entity", format!("must be one of {}", ENTITIES.join(", ")))),
    }
}
