pub mod get;
pub mod id_get;
