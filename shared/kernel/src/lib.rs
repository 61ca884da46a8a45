//! The domain kernel every bounded context shares.
//!
//! Types here *parse* input instead of validating it afterwards: once you hold a
//! [`TenantId`], a [`Money`] or a [`Limit`], it is known to be well formed.

pub mod config;
pub mod email;
pub mod error;
pub mod fields;
pub mod id;
pub mod money;
pub mod page;
pub mod patch;
pub mod phone;
pub mod search;
pub mod spreadsheet;
pub mod time;

pub use config::Env;
pub use email::Email;
pub use error::{AppError, FieldError};
pub use id::{EntityId, TenantId, UserId};
pub use money::{Currency, Money};
pub use page::Limit;
pub use phone::Phone;
pub use time::Timestamp;
