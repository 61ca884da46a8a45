//! `/v1/admin/users`.

pub mod get;
pub mod roles_post;
