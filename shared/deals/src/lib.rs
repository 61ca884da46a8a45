//! The deals port: what other contexts need of deals, synchronously and
//! inside their own transaction.
//!
//! * The domain: [`deal`] (a deal, its status and parties, its field
//!   rules), [`pipeline`] (ordered stages), [`history`] (stage changes),
//!   [`board`] (the kanban and forecast tallies the write path keeps).
//! * The write port, [`write`]: [`write::placement`] picks the pipeline and
//!   stage; [`write::create`] adds a new deal, its tallies, history, event
//!   and notices to a caller's transaction. A lead's conversion uses it
//!   today; inventory's reservations next.
//! * [`notices`]: the owner and watchers told through the notifications core.
//!
//! The deals HTTP API and the deals worker are the `deals` function.

pub mod board;
pub mod deal;
pub mod history;
pub mod notices;
pub mod pipeline;
pub mod write;
