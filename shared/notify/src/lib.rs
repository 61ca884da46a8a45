//! What a notification says, before anyone sends it.
//!
//! * [`template`] — templates by `family`, `channel` and `locale` (Arabic and
//!   English built in), the spec's fallback order and strict variables.
//! * [`compose`] — turns a family, a payload and a recipient into queued
//!   [`Message`](crm_events::messages::Message)s, mirrors included.
//! * [`tenant`] — a tenant's own templates (overrides of the built-in ones),
//!   stored on the table and loaded by family.

pub mod compose;
pub mod template;
pub mod tenant;
