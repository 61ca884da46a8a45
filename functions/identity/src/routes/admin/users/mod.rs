//! `/v1/admin/users`.

pub mod get;
pub mod post;
pub mod roles_post;
