//! Identifiers: ULIDs wrapped in newtypes so a tenant id can never be passed
//! where a user id is expected, and a key without a tenant cannot be built.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use ulid::Ulid;

use crate::AppError;

macro_rules! ulid_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Ulid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Ulid::new())
            }

            /// Parses a ULID string (case-insensitive Crockford base32).
            pub fn parse(raw: &str) -> Result<Self, AppError> {
                Ulid::from_str(raw.trim())
                    .map(Self)
                    .map_err(|_| AppError::invalid(stringify!($name), "must be a ULID"))
            }

            pub fn as_ulid(&self) -> Ulid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl TryFrom<String> for $name {
            type Error = AppError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.to_string()
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                "Ulid".into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                crate::schema::ulid()
            }
        }
    };
}

ulid_newtype!(
    /// The tenant every owned item belongs to. It reaches a handler only from
    /// the authorizer context, never from a path, body or cursor.
    TenantId
);
ulid_newtype!(
    /// A user of a tenant.
    UserId
);
ulid_newtype!(
    /// The id of any tenant-owned entity (note, contact, deal, ...).
    EntityId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_prints() {
        let id = TenantId::new();
        assert_eq!(TenantId::parse(&id.to_string()).unwrap(), id);
        assert_eq!(TenantId::parse(&id.to_string().to_lowercase()).unwrap(), id);
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "abc", "01HZZZZZZZZZZZZZZZZZZZZZZZZ!", "T#1#x"] {
            assert!(EntityId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serde_round_trip_rejects_invalid() {
        let id = UserId::new();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<UserId>("\"nope\"").is_err());
    }
}
