//! Entitlement overrides (ADR 0011): `GET|PUT
//! /v1/admin/entitlements/overrides/{scope}` (`tenant`, `group?id=`,
//! `user?id=`) and `GET /v1/admin/entitlements/effective?userId=` (what
//! applies to a user, each value with its source).

pub mod effective_get;
pub mod overrides;
