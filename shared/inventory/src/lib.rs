//! Property inventory (M3CoreCRM §7), the domain: what a developer's sales
//! team sells from.
//!
//! * [`project`], [`building`], [`unit`] and [`component`]: the catalogue,
//!   project → building → unit → components, every type a code of
//!   [`codes`];
//! * [`status`]: the unit status machine (`available → reserved → sold`,
//!   plus `hold` and `unavailable`), each refused move named by its rule;
//! * [`reservation`]: reservations for a contact and a deal, courtesy holds
//!   by a rep, their expiry within the project's policy;
//! * [`payment_plan`]: payment-plan templates and the installment schedule
//!   they make of a price, exact to the minor unit;
//! * [`availability`]: the per-project counts by status × type and the value
//!   still available, as deltas that commute;
//! * [`media`] and [`waitlist`]: a unit's gallery, and the buyers queued
//!   behind its reservation.
//!
//! Everything here is pure; the inventory function crate reads and writes it.

pub mod availability;
pub mod building;
pub mod codes;
pub mod component;
pub mod media;
pub mod payment_plan;
pub mod project;
pub mod reservation;
pub mod status;
pub mod unit;
pub mod waitlist;

/// A size or length as the spec's `NUMERIC(n,2)`: rounded to two decimals.
pub fn two_decimals(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
