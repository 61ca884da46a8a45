//! `/v1/admin/roles`.

pub mod get;
pub mod hierarchy;
