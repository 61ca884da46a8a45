//! `/v1/admin/dictionaries/{dictionary}`: the coded dictionaries
//! (`job_title_codes`, `department_codes`), global plus the tenant's.

pub mod get;
pub mod patch;
pub mod post;

use crm_events::Subject;

/// The audit subject of a tenant's code.
fn subject(d: crate::dictionaries::Dictionary, code: &str) -> Subject {
    Subject { kind: "dictionary_code".into(), id: format!("{}/{code}", d.as_str()) }
}
