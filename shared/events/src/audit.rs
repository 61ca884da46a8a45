//! The audit log: one entry per sensitive action, written in the same
//! transaction as the change (and so as the event it emits).

use crm_store::item::ItemExt;
use crm_store::{keys, Item, Tx};
use serde_json::Value;

use crate::DomainEvent;

/// The audit entry recording `event` (action = the event type).
pub fn entry(event: &DomainEvent) -> Item {
    let at = event.occurred_at.to_string();
    Item::new()
        .at(&keys::audit_entry(event.tenant_id, &event.occurred_at.date(), &at, &event.event_id))
        .with_str("kind", "audit")
        .with_str("action", &event.event_type)
        .with_str("at", at)
        .with_str("actor", serde_json::to_string(&event.actor).expect("actor serialises"))
        .with_str("actor_user_id", event.actor.user_id.map(|u| u.to_string()).unwrap_or_default())
        .with_str("subject_type", &event.subject.kind)
        .with_str("subject_id", &event.subject.id)
        .with_str("request_id", event.request_id.clone().unwrap_or_default())
        .with_str(
            "details",
            match &event.data {
                Value::Null => "{}".to_string(),
                other => other.to_string(),
            },
        )
}

/// Records `event` in the outbox *and* the audit log of the transaction.
pub trait AuditExt {
    fn emit_audited(self, event: &DomainEvent) -> Self;
}

impl AuditExt for Tx {
    fn emit_audited(self, event: &DomainEvent) -> Self {
        use crate::outbox::EmitExt;
        self.emit(event).put_new("audit", entry(event))
    }
}

/// Audits a refused request (`security.refused`: who, which route, the
/// rule's code and message) in the caller's tenant, and emits the event.
/// Best effort: a refusal is answered whether or not it could be recorded.
pub async fn refused(
    store: &crm_store::Store,
    tenant: crm_kernel::TenantId,
    user: crm_kernel::UserId,
    route: &str,
    request_id: &str,
    data: Value,
) {
    let event = DomainEvent::new(
        tenant,
        crate::types::SECURITY_REFUSED,
        crate::Actor::user(user),
        crate::Subject { kind: "route".into(), id: route.to_string() },
        data,
    )
    .with_request_id(request_id);
    if let Err(e) = store.transact(Tx::new().emit_audited(&event)).await {
        tracing::warn!(error = %e, route, "a refusal could not be audited");
    }
}

/// Serves one request of a context's route table — every context's
/// `App::handle`: honours its `Idempotency-Key` (`crm_http::idempotency`),
/// and audits a refusal for a security rule (`security.refused`) in the
/// caller's tenant.
pub async fn serve<S>(
    routes: &[crm_http::Route<S>],
    state: &S,
    store: &crm_store::Store,
    req: lambda_http::Request,
) -> lambda_http::Response<lambda_http::Body> {
    let (response, refusal) = crm_http::idempotency::serve(store, req, |req| crm_http::dispatch_noting_refusals(routes, state, req)).await;
    if let Some(r) = refusal {
        let data = serde_json::json!({ "code": r.code, "message": r.message, "ip": r.source_ip });
        refused(store, r.tenant_id, r.user_id, &r.route, &r.request_id, data).await;
    }
    response
}
