//! `/v1/admin/...`: roles and their hierarchy, users, groups, entitlement
//! overrides, audit log.

pub mod api_keys;
pub mod audit_logs;
pub mod dictionaries;
pub mod entitlements;
pub mod groups;
pub mod invitations;
pub mod plan;
pub mod roles;
pub mod seats;
pub mod users;
