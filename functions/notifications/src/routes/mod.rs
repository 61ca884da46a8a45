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

use crm_events::{Actor, DomainEvent, Subject};
use crm_http::Call;
use crm_kernel::AppError;
use serde_json::Value;

/// A domain event caused by the caller, tagged with the request.
pub(crate) fn event(call: &Call, kind: &str, subject: Subject, data: Value) -> Result<DomainEvent, AppError> {
    let p = call.principal()?;
    Ok(DomainEvent::new(p.tenant_id, kind, Actor::user(p.user_id), subject, data).with_request_id(call.request_id()))
}
