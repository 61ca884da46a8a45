//! One module per route: `routes/{resource}/{action}.rs`.

pub mod deals;
pub mod pipelines;
pub mod stages;
