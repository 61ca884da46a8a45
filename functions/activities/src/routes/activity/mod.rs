//! `/v1/activity`.

pub mod list;
