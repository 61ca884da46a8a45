//! `/v1/admin/audit-logs`.

pub mod get;
