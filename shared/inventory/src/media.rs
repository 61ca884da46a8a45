//! A unit's media (the spec's `unit_media`): images and PDF brochures in
//! the files bucket, under the tenant's prefix
//! (`media/{tenant}/units/{unit}/{id}`), uploaded by the browser with a
//! presigned POST whose policy holds the content type and the size. A
//! media item is `pending` until its upload is confirmed (the object is
//! there, within the limit), then `ready`; the list is in `sort_order`.
//!
//! Stored in the unit's collection, `T#{t}#UNIT#{unit}` / `MEDIA#{id}`.

use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_store::{item, keys, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

pub const PREFIX: &str = "MEDIA#";
/// Most media one unit has.
pub const MAX_PER_UNIT: usize = 50;

crm_kernel::named_enum! {
    /// The spec's media types.
    pub enum MediaType { Image = "image", Pdf = "pdf" }
}

crm_kernel::named_enum! {
    pub enum MediaStatus { Pending = "pending", Ready = "ready" }
}

/// The content types each media type takes, and its size limit.
pub fn rules(kind: MediaType) -> (&'static [&'static str], i64) {
    match kind {
        MediaType::Image => (&["image/jpeg", "image/png", "image/webp"], 10 * 1024 * 1024),
        MediaType::Pdf => (&["application/pdf"], 20 * 1024 * 1024),
    }
}

/// Whether `content_type` is one `kind` takes.
pub fn check(kind: MediaType, content_type: &str) -> Result<i64, AppError> {
    let (types, max) = rules(kind);
    if types.contains(&content_type) {
        Ok(max)
    } else {
        Err(AppError::invalid("content_type", format!("a {kind} is one of {}", types.join(", "))))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Media {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub unit_id: EntityId,
    pub media_type: MediaType,
    pub content_type: String,
    pub file_name: String,
    pub caption: Option<String>,
    pub status: MediaStatus,
    /// Bytes, once uploaded.
    pub size: Option<i64>,
    pub sort_order: i32,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub version: u64,
}

impl Media {
    pub fn key(t: TenantId, unit: EntityId, id: EntityId) -> Key {
        Key { pk: keys::entity_pk(t, crate::unit::UNIT, &unit.to_string()), sk: format!("{PREFIX}{id}") }
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        item::to_item(&Self::key(self.tenant_id, self.unit_id, self.id), self)
    }

    /// Where its object lives: under the tenant's prefix.
    pub fn object_key(&self) -> String {
        format!("media/{}/units/{}/{}", self.tenant_id, self.unit_id, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_media_type_takes_its_own_content_types() {
        assert_eq!(check(MediaType::Image, "image/png").unwrap(), 10 * 1024 * 1024);
        assert_eq!(check(MediaType::Pdf, "application/pdf").unwrap(), 20 * 1024 * 1024);
        for (k, ct) in [
            (MediaType::Image, "application/pdf"),
            (MediaType::Pdf, "image/png"),
            (MediaType::Image, "image/svg+xml"),
            (MediaType::Image, "text/html"),
        ] {
            assert_eq!(check(k, ct).unwrap_err().details()[0].field, "content_type");
        }
    }
}
