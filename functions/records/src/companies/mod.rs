//! The companies application layer: the public view and the event subject.
//!
//! * [`list`]: the list's filters (what a company segment saves too).

pub mod list;

use serde_json::{json, Value};

use crate::company::Company;

pub fn subject(c: &Company) -> crm_events::Subject {
    crm_events::Subject { kind: "company".into(), id: c.id.to_string() }
}

pub fn public(c: &Company) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or_default();
    v["phone"] = json!(c.fields.phone.as_ref().map(|p| p.as_str()));
    v
}
