//! `/v1/admin/audit-logs`: the day pages, and exports of any range.

pub mod export_id_get;
pub mod export_post;
pub mod get;
