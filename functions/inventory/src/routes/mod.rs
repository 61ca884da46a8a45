//! One module per route: `routes/{resource}/{action}.rs`; a unit's
//! components and reservations sit inside `units/`.

pub mod admin;
pub mod buildings;
pub mod payment_plans;
pub mod projects;
pub mod units;
