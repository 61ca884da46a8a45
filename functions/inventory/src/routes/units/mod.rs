//! Units: `GET|POST /v1/units`, `GET|PATCH|DELETE /v1/units/{id}`, the
//! status machine `PATCH /v1/units/{id}/status`, prices
//! `POST /v1/units/{id}/price` and `GET /v1/units/{id}/prices`, a payment
//! schedule, components and reservations; bulk edits, and CSV import and
//! export through the jobs.

pub mod bulk_post;
pub mod components;
pub mod delete;
pub mod export_post;
pub mod get;
pub mod id_get;
pub mod import_post;
pub mod media;
pub mod patch;
pub mod payment_schedule_post;
pub mod post;
pub mod price_post;
pub mod prices_get;
pub mod reservations;
pub mod status_patch;
pub mod waitlist;
