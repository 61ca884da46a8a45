//! Projects: `GET|POST /v1/projects`, `GET|PATCH|DELETE /v1/projects/{id}`,
//! and `GET /v1/projects/{id}/availability`.

pub mod availability_get;
pub mod delete;
pub mod get;
pub mod id_get;
pub mod patch;
pub mod post;
