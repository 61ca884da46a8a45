//! The billing domain (M3CoreCRM §13, App.C §6; ADR 0028): pure rules,
//! no store and no clock they were not given.
//!
//! * [`catalogue`] — plans and products as data (`catalogue.json`): the fee,
//!   the included seats and messages, and the features and limits each plan
//!   gives (the base the entitlements overrides narrow).
//! * [`period`] — the monthly billing period in a tenant's time zone.
//! * [`subscription`] — `trial → active → past_due → active | canceled`.
//! * [`promo`] — promo codes: a percentage or an amount, in a validity window.
//! * [`usage`] — the meters and the aggregation of usage events into counters.
//! * [`invoice`] — `draft → open → paid | void`, and the drafting of a
//!   period's lines: the prorated plan fee, add-on seats, overage, discounts.
//! * [`dunning`] — a past-due subscription's grace and restriction.
//! * [`signature`] — Stripe's webhook signature scheme (`Stripe-Signature`).

pub mod catalogue;
pub mod dunning;
pub mod invoice;
pub mod period;
pub mod promo;
pub mod signature;
pub mod subscription;
pub mod usage;

pub use catalogue::{catalogue, Plan};
pub use period::Period;
