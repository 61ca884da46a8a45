//! A unit's waitlist: buyers queued behind its active reservation or hold,
//! first come first served. When the unit is back on the market (a release,
//! an expiry, a lost deal), whoever put the first entry there is told; the
//! entry stays until it is reserved for or removed.
//!
//! Stored in the unit's collection, `T#{t}#UNIT#{unit}` /
//! `WAIT#{created_at}#{id}`: the queue is one Query, in order.

use crm_kernel::{EntityId, TenantId, Timestamp, UserId};
use crm_store::{item, keys, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

pub const PREFIX: &str = "WAIT#";
/// Most entries one unit's waitlist holds.
pub const MAX_PER_UNIT: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Entry {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub unit_id: EntityId,
    pub contact_id: EntityId,
    pub deal_id: Option<EntityId>,
    pub note: Option<String>,
    /// Who queued it: told when the unit is free.
    pub added_by: UserId,
    pub created_at: Timestamp,
}

impl Entry {
    pub fn key(&self) -> Key {
        Key {
            pk: keys::entity_pk(self.tenant_id, crate::unit::UNIT, &self.unit_id.to_string()),
            sk: format!("{PREFIX}{}#{}", self.created_at, self.id),
        }
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        item::to_item(&self.key(), self)
    }
}
