//! One module per route: `routes/{resource}/{action}.rs`; a sub-resource
//! (`/v1/pipelines/{id}/stages`) sits inside its parent (`pipelines/stages/`).

pub mod deals;
pub mod pipelines;
