//! `/v1/admin/users`.

pub mod accept_invite_post;
pub mod deactivate_post;
pub mod force_logout_post;
pub mod get;
pub mod invite_post;
pub mod lifecycle;
pub mod post;
pub mod reactivate_post;
pub mod roles_post;
pub mod suspend_post;
