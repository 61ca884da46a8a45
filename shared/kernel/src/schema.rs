//! JSON Schemas of the kernel's types, for the OpenAPI contract: what a
//! ULID, a timestamp or a named enum looks like on the wire.

pub use schemars;
use schemars::{json_schema, Schema};

/// A ULID: 26 characters of Crockford base32.
pub fn ulid() -> Schema {
    json_schema!({ "type": "string", "pattern": "^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$", "examples": ["01JD3Z6Q4X2B8M7N5K9P0R1S2T"] })
}

/// One of `values`, as text.
pub fn one_of(values: &[&str]) -> Schema {
    json_schema!({ "type": "string", "enum": values })
}

/// One of `values`, or `null` (a change set's field).
pub fn nullable_one_of(values: &[&str]) -> Schema {
    let mut all: Vec<serde_json::Value> = values.iter().map(|v| serde_json::Value::from(*v)).collect();
    all.push(serde_json::Value::Null);
    json_schema!({ "type": ["string", "null"], "enum": all })
}

/// `fn $name(&mut SchemaGenerator) -> Schema`: the schema of a change set's
/// field that takes one of `$values` (for `#[schemars(schema_with = "…")]`).
#[macro_export]
macro_rules! one_of_schema {
    ($name:ident, $values:expr) => {
        fn $name(_: &mut $crate::schema::schemars::SchemaGenerator) -> $crate::schema::schemars::Schema {
            $crate::schema::nullable_one_of($values)
        }
    };
}

/// A label in English and Arabic (coded dictionaries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Label {
    pub en: &'static str,
    pub ar: &'static str,
}
