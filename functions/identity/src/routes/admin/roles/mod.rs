//! `/v1/admin/roles`.

pub mod get;
