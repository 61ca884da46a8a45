//! `/v1/auth/sessions`.

pub mod delete;
pub mod list;
