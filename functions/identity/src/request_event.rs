//! The domain event a request causes, tagged with the request (id, source
//! IP, user agent): what every identity route and the notices it sends emit.

use crm_events::{Actor, DomainEvent, Subject};
use crm_http::Call;
use crm_kernel::UserId;
use serde_json::Value;

/// A domain event caused by `actor` about `subject`, tagged with the request.
pub fn event(
    call: &Call,
    session_tenant: crm_kernel::TenantId,
    kind: crm_events::EventType,
    actor: UserId,
    subject: Subject,
    data: Value,
) -> DomainEvent {
    let mut data = data;
    if let Value::Object(map) = &mut data {
        map.insert("ip".into(), Value::String(call.ctx.source_ip.clone()));
        map.insert("user_agent".into(), Value::String(call.ctx.user_agent.chars().take(256).collect()));
    }
    DomainEvent::new(session_tenant, kind, Actor::user(actor), subject, data).with_request_id(call.request_id())
}
