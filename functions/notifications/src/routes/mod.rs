//! One module per route: `routes/{resource}/{action}.rs`.

pub mod consent;
pub mod dispatch;
pub mod email_accounts;
pub mod inbox;
pub mod messages;
pub mod policies;
pub mod preferences;
pub mod suppression;
pub mod templates;
pub mod webhooks;
