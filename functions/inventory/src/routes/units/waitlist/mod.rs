//! A unit's waitlist: `GET|POST /v1/units/{id}/waitlist`,
//! `DELETE /v1/units/{id}/waitlist/{entryId}`.

pub mod delete;
pub mod get;
pub mod post;
