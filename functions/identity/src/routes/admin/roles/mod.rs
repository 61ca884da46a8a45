//! `/v1/admin/roles`, its hierarchy and the record visibility built on it.

pub mod get;
pub mod hierarchy;
pub mod visibility;
