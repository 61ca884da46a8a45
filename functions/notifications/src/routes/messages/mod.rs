//! The outbox: `GET /v1/notify/messages` and `GET /v1/notify/messages/{id}`.

pub mod get;
pub mod id_get;
