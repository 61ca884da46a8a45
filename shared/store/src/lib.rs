//! The one DynamoDB table of the system.
//!
//! * [`keys`] is the only place that builds partition and sort keys; every
//!   tenant-owned key starts with `T#{tenant_id}#` and needs a [`TenantId`](crm_kernel::TenantId).
//! * [`Store`] wraps the SDK client: get, query with signed cursors, and
//!   [`Tx`] transactions whose failed conditions come back labelled.
//! * [`cursor`] makes opaque, tamper-evident, tenant-bound page cursors.

pub mod calls;
pub mod cursor;
pub mod idempotency;
pub mod item;
pub mod keys;
pub mod store;
pub mod tx;
pub mod usage;

pub use cursor::CursorCodec;
pub use item::Item;
pub use keys::{Index, Key};
pub use store::{Filter, Page, Query, Store, StoreError};
pub use tx::Tx;

/// The SDK's attribute value, re-exported so callers need no direct dependency.
pub use aws_sdk_dynamodb::types::AttributeValue;

/// Builds an SDK config honouring `AWS_ENDPOINT_URL` (the local emulator) and
/// the usual credential chain.
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_from_env().await
}
