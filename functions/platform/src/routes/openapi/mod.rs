//! `/v1/openapi.json`.

pub mod get;
