//! `/v1/admin/dictionaries/{dictionary}`: the coded dictionaries
//! (`job_title_codes`, `department_codes`), global plus the tenant's.

pub mod get;
pub mod patch;
pub mod post;

use crm_events::{DomainEvent, EventType, Subject};
use crm_http::Call;
use serde_json::Value;

/// The route's events, tagged with the request and the client.
fn event_of(call: &Call) -> Result<impl Fn(EventType, Subject, Value) -> DomainEvent + Sync + '_, crm_kernel::AppError> {
    let p = call.principal()?;
    let (t, u) = (p.tenant_id, p.user_id);
    Ok(move |kind, subject, data| crate::request_event::event(call, t, kind, u, subject, data))
}
