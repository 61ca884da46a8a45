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
