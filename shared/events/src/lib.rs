//! Domain events, from the transaction that causes them to the worker that
//! reacts to them.
//!
//! ```text
//! handler ─ Tx { entity, markers, outbox::put(event) } ─▶ table
//! table stream (outbox INSERTs) ─▶ stream::publish_outbox ─▶ EventBus (EventBridge)
//! rule ─▶ SQS ─▶ consumer::process_batch ─▶ handler(event), idempotent by consumer::claim
//! ```

pub mod audit;
pub mod bus;
pub mod consumer;
pub mod envelope;
pub use crm_http::metrics;
pub mod outbox;
pub mod stream;
pub mod types;

pub use bus::{EventBridgeBus, EventBus, MemoryBus};
pub use consumer::{BatchResponse, SqsEvent};
pub use envelope::{Actor, DomainEvent, Subject, EVENT_SOURCE};
pub use types::EventType;
