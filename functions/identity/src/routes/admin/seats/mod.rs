//! `/v1/admin/seats`.

pub mod get;
