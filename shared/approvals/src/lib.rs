//! The approvals port (the spec's approvals module: sensitive actions wait
//! for the approvers a tenant's policies name). Any context calls it
//! synchronously, inside its own write: [`check_and_maybe_enqueue`] answers
//! with a [`Gate`] — proceed, consume a granted request in the same
//! transaction, or stop with a pending request.
//!
//! * [`engine`] — the gate, the request's notices, a decision's effects.
//! * [`policy`] and [`request`] — the pure rules: conditions and
//!   thresholds, flat and sequential steps, the request state machine.
//!
//! The approvals HTTP API (`/v1/approvals/...`) is the `approvals`
//! function; deals and tasks use this crate, never that function.

pub mod engine;
pub mod policy;
pub mod request;

pub use engine::{check_and_maybe_enqueue, Check, Gate};
