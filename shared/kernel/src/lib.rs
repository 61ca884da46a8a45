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
pub mod schema;
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

/// A closed set of values stored and shown as text (`open`, `in_progress`):
/// the enum, its `ALL` texts (what a field parser's `one_of` takes),
/// `as_str`, `parse` and `Display`.
///
/// ```
/// crm_kernel::named_enum! {
///     /// Where a task stands.
///     pub enum TaskStatus { Open = "open", Done = "done" }
/// }
/// assert_eq!(TaskStatus::parse("done"), Some(TaskStatus::Done));
/// assert_eq!(TaskStatus::ALL, &["open", "done"]);
/// ```
#[macro_export]
macro_rules! named_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, as text.
            pub const ALL: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::schema::schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut $crate::schema::schemars::SchemaGenerator) -> $crate::schema::schemars::Schema {
                $crate::schema::one_of(Self::ALL)
            }
        }
    };
}
