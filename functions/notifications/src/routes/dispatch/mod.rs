//! `POST /v1/notify/dispatch` and the dispatch group it writes.

pub mod group;
pub mod plan;
pub mod post;
pub mod request;
