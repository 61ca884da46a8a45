//! `/v1/admin/...`: roles, users, audit log.

pub mod api_keys;
pub mod audit_logs;
pub mod plan;
pub mod roles;
pub mod users;
