//! One module per route: `routes/{resource}/{action}.rs`.

pub mod policies;
pub mod requests;
