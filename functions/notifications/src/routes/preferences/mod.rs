//! The caller's notification preferences: `GET|PUT /v1/me/notification-preferences`.

pub mod get;
pub mod put;
