//! `/v1/admin/api-keys`: machine credentials, created (secret shown once),
//! listed, revoked. Sent as `X-API-Key`; the authorizer resolves them.

pub mod delete;
pub mod get;
pub mod post;
