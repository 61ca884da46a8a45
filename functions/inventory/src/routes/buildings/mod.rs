//! Buildings: `GET|POST /v1/buildings`, `GET|PATCH|DELETE /v1/buildings/{id}`.

pub mod delete;
pub mod get;
pub mod id_get;
pub mod patch;
pub mod post;
