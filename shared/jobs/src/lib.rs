//! Background jobs, the same for every context (ADR 0025): imports and
//! exports of contacts, leads and units.
//!
//! * [`job`]: the job record (`GET /v1/jobs/{id}` shows it) and its kinds;
//!   each kind belongs to one context ([`job::JobKind::context`]).
//! * [`start`]: the import and export routes start a job here.
//! * [`worker`]: a context's jobs worker claims a job of its kinds, runs it
//!   (checkpointed, handed over between deliveries) and settles it.
//! * [`engine`]: the import engine a kind plugs into ([`engine::ImportRow`]).
//! * [`csv_file`], [`csv_stream`]: the file's header and limits, and its
//!   rows streamed, never whole in memory.

pub mod csv_file;
pub mod csv_stream;
pub mod engine;
pub mod job;
pub mod start;
pub mod worker;

pub use job::{Job, JobKind, JobStatus};
