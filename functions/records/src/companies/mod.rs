//! The companies application layer: the public view and the event subject.
//!
//! * [`list`]: the list's filters (what a company segment saves too).

pub mod list;

use crate::company::Company;

pub fn subject(c: &Company) -> crm_events::Subject {
    crm_events::Subject { kind: "company".into(), id: c.id.to_string() }
}
