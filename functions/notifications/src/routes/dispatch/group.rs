//! A dispatch group (the spec's `dispatch_groups`): the messages one
//! dispatch wrote together, stored under its idempotency key — the
//! client's `correlation_key`, or the deterministic
//! `(template_code, channel, to, payload hash, minute)` key — so the same
//! dispatch sent twice finds the first one instead of sending again.

use crm_kernel::{EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

/// Label of the group's marker in the dispatch transaction.
pub const DISPATCH_KEY: &str = "dispatch_key";

/// How long a key is remembered: a client key 30 days, a derived one a day.
const CLIENT_KEY_TTL_SECS: i64 = 30 * 86_400;
const DERIVED_KEY_TTL_SECS: i64 = 86_400;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DispatchGroup {
    pub id: EntityId,
    pub tenant_id: TenantId,
    #[serde(default)]
    pub correlation_key: Option<String>,
    /// SHA-256 of the idempotency key.
    pub key_hash: String,
    pub root_message_id: EntityId,
    pub message_ids: Vec<EntityId>,
    pub created_by: UserId,
    pub created_at: Timestamp,
}

impl DispatchGroup {
    pub fn key(tenant: TenantId, key_hash: &str) -> Key {
        keys::unique(tenant, "DISPATCHKEY", key_hash)
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        let ttl = if self.correlation_key.is_some() { CLIENT_KEY_TTL_SECS } else { DERIVED_KEY_TTL_SECS };
        Ok(item::to_item(&Self::key(self.tenant_id, &self.key_hash), self)?.with_ttl(self.created_at.unix_seconds() + ttl))
    }
}
