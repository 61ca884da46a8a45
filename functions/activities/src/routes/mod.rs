//! One module per route: `routes/{resource}/{method}.rs`.

pub mod activity;
pub mod notes;
pub mod tasks;
pub mod timeline;
