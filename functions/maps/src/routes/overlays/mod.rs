//! Overlays: `GET|POST /v1/maps/overlays`, `GET|PATCH|DELETE
//! /v1/maps/overlays/{id}`, the upload's confirmation, alignment, the hit
//! test, search, the SVG render, and publishing.

pub mod align_post;
pub mod confirm_post;
pub mod delete;
pub mod get;
pub mod hit_get;
pub mod id_get;
pub mod patch;
pub mod post;
pub mod publish_delete;
pub mod publish_post;
pub mod render_get;
pub mod search_get;
pub mod upload_post;
