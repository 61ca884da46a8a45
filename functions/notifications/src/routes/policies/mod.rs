//! The tenant's notification policy: `GET|PUT /v1/admin/notification-policies`.

pub mod get;
pub mod put;
