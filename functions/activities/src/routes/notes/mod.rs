//! `/v1/notes`.

pub mod get;
pub mod list;
pub mod post;
