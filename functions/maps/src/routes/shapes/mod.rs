//! Shapes: `GET|POST /v1/maps/overlays/{id}/shapes`, `GET|PATCH|DELETE
//! /v1/maps/shapes/{id}`, its versions and rollback
//! (`POST /v1/maps/shapes/{id}/version`), its links
//! (`link-unit`, `link-component`) and `validate`; GeoJSON import and
//! export (`POST /v1/maps/shapes/import|export`), and a file's import
//! through the jobs (`POST /v1/maps/shapes/import/file`).

pub mod delete;
pub mod export_post;
pub mod id_get;
pub mod import_file_post;
pub mod import_post;
pub mod link_component_post;
pub mod link_unit_post;
pub mod list_get;
pub mod patch;
pub mod post;
pub mod validate_post;
pub mod version_post;
pub mod versions_get;
