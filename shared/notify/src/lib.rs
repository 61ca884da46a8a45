//! What a notification says, before anyone sends it.
//!
//! * [`template`] — templates by `family`, `channel` and `locale` (Arabic and
//!   English built in), the spec's fallback order and strict variables.
//! * [`compose`] — turns a family, a payload and a recipient into queued
//!   [`Message`](messages::Message)s, mirrors included.
//! * [`consent`] — opt-ins and opt-outs per channel and address (the STOP
//!   list), and the rule a send must pass; written by the notifications API,
//!   the delivery webhooks and a contact's channels.
//! * [`tenant`] — a tenant's own templates (overrides of the built-in ones),
//!   stored on the table and loaded by family.
//! * [`users`] — notices to a tenant's users from any module, queued in
//!   the module's own transaction.
//! * [`messages`] — the message itself (channels, statuses, kinds), queued
//!   with its `message.queued` event; the one-time-code budgets.
//! * [`preferences`] — a user's notification preferences.

pub mod compose;
pub mod consent;
pub mod messages;
pub mod preferences;
pub mod template;
pub mod tenant;
pub mod users;
