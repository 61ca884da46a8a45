//! `/v1/admin/plan`.

pub mod get;
