//! `/v1/admin/roles`: the default and custom roles, the hierarchy and the
//! record visibility built on it.

pub mod delete;
pub mod get;
pub mod hierarchy;
pub mod patch;
pub mod permissions_get;
pub mod post;
pub mod visibility;
