//! An overlay's public link (`maps.publicViews`): the capability behind
//! `GET /v1/public/overlays/{publicId}`. The public id is an opaque token
//! `mapv.{tenant}.{link}.{secret}`: the ids only locate the link, the
//! 256-bit secret is stored as its SHA-256 and compared in constant time.
//! Unpublishing deletes the link, so every copy of the URL dies with it;
//! publishing again mints a new one.
//!
//! Stored as `T#{t}#MAPLINK#{id}` / `META`.

use crm_kernel::{EntityId, TenantId, Timestamp, UserId};
use crm_store::{item, keys, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

pub const MAPLINK: &str = "MAPLINK";
/// The public id's prefix.
pub const TOKEN_PREFIX: &str = "mapv";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicLink {
    pub id: EntityId,
    pub overlay_id: EntityId,
    /// Hex SHA-256 of the token's secret.
    pub secret_hash: String,
    pub created_by: UserId,
    pub created_at: Timestamp,
}

impl PublicLink {
    pub fn key(t: TenantId, id: EntityId) -> Key {
        keys::entity(t, MAPLINK, id)
    }

    pub fn to_item(&self, t: TenantId) -> Result<Item, StoreError> {
        item::to_item(&Self::key(t, self.id), self)
    }
}
