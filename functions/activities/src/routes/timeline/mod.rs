//! `GET /v1/timeline`.

pub mod get;
