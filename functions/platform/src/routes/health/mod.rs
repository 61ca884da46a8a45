//! `/health` and `/v1/health`.

pub mod get;
pub mod get_detailed;
