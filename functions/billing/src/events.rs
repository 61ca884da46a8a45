//! The events billing emits, built in one place.

use crm_events::{types, Actor, DomainEvent, Subject};
use serde_json::json;

use crate::invoices::Invoice;
use crate::subscription::Subscription;

fn tenant_subject(s: &Subscription) -> Subject {
    Subject { kind: "subscription".into(), id: s.tenant_id.to_string() }
}

/// `billing.subscription.changed`: `reason` (`started`, `plan_changed`,
/// `payment_failed`, `paid`, `trial_ended`, `provider`, `canceled`), the
/// status and plan before and after.
pub fn subscription_changed(s: &Subscription, before: Option<&Subscription>, reason: &str) -> DomainEvent {
    DomainEvent::new(
        s.tenant_id,
        types::BILLING_SUBSCRIPTION_CHANGED,
        Actor::system(),
        tenant_subject(s),
        json!({
            "reason": reason,
            "status": s.status, "plan": s.plan,
            "from_status": before.map(|b| b.status), "from_plan": before.map(|b| b.plan.clone()),
            "restricted_from": s.restricted_from,
        }),
    )
}

/// `tenant.plan.changed`: `from`, `to`.
pub fn plan_changed(s: &Subscription, from: &str, actor: Actor) -> DomainEvent {
    DomainEvent::new(
        s.tenant_id,
        types::TENANT_PLAN_CHANGED,
        actor,
        Subject { kind: "tenant".into(), id: s.tenant_id.to_string() },
        json!({ "from": from, "to": s.plan }),
    )
}

/// An invoice's event (`billing.invoice.drafted|finalized|paid|voided`).
pub fn invoice(i: &Invoice, t: crm_events::EventType) -> DomainEvent {
    DomainEvent::new(
        i.tenant_id,
        t,
        Actor::system(),
        Subject { kind: "invoice".into(), id: i.id.to_string() },
        json!({ "period": i.period, "total_amount": i.total_amount, "currency": i.currency, "status": i.status, "provider_invoice_id": i.provider_invoice_id }),
    )
}
