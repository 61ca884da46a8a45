//! The metering worker (`HANDLER=billing_meter`, on its own queue): domain
//! events become usage events, and usage events become counters.
//!
//! * `message.sent` on SMS or WhatsApp counts `sms.sent` / `whatsapp.sent`
//!   (billed); on email `email.sent` (informational). Mirrored copies
//!   (`mirror_of`) are never counted. `message.delivered` with the
//!   provider's `price` records its cost (`sms.cost`, `whatsapp.cost`).
//! * The seat ledger: identity's user and invitation events that carry
//!   `seat: assign|unassign` move `seats.used`.
//! * Map shapes and overlays move `maps.shapes.count` / `maps.overlays.count`.
//! * `tenant.created` starts the tenant's subscription.
//!
//! **Exactly once.** Each usage event is written with its counter's
//! increment in one transaction, with a marker of its id (`{domain event
//! id}#{metric}`) written only if new. A redelivered message, a batch
//! retried after a crash, or events in any order add each fact once.

use chrono_tz::Tz;
use crm_billing::usage::{Metric, UsageEvent, UsageSource};
use crm_billing::Period;
use crm_events::audit::AuditExt;
use crm_events::consumer::ConsumerError;
use crm_events::{types, DomainEvent};
use crm_kernel::{TenantId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{item, keys, Store, StoreError, Tx};
use serde_json::{json, Value};

use crate::subscription::{Subscription, Terms};

pub const CONSUMER: &str = "billing_meter";

/// The usage a domain event stands for (pure).
pub fn usage_of(e: &DomainEvent) -> Vec<(Metric, i64, Value)> {
    let d = &e.data;
    let seat = || match d["seat"].as_str() {
        Some("assign") => vec![(Metric::SeatsUsed, 1, json!({ "action": "assign", "user_id": e.subject.id }))],
        Some("unassign") => vec![(Metric::SeatsUsed, -1, json!({ "action": "unassign", "user_id": e.subject.id }))],
        _ => Vec::new(),
    };
    if e.is(types::MESSAGE_SENT) {
        if !d["mirror_of"].is_null() {
            return Vec::new();
        }
        let metric = match d["channel"].as_str() {
            Some("sms") => Metric::SmsSent,
            Some("whatsapp") => Metric::WhatsappSent,
            Some("email") => Metric::EmailSent,
            _ => return Vec::new(),
        };
        return vec![(metric, 1, json!({ "message_id": e.subject.id, "provider": d["provider"] }))];
    }
    if e.is(types::MESSAGE_DELIVERED) {
        let metric = match d["channel"].as_str() {
            Some("sms") => Metric::SmsCost,
            Some("whatsapp") => Metric::WhatsappCost,
            _ => return Vec::new(),
        };
        let price = &d["price"]["pricePerMessage"];
        let micros = match price {
            Value::Number(n) => crm_billing::usage::micros(&n.to_string()),
            Value::String(s) => crm_billing::usage::micros(s),
            _ => None,
        };
        return micros
            .map(|m| vec![(metric, m, json!({ "message_id": e.subject.id, "currency": d["price"]["currency"], "unit": "micros" }))])
            .unwrap_or_default();
    }
    if [
        types::USER_CREATED,
        types::USER_INVITED,
        types::USER_DEACTIVATED,
        types::USER_DELETED,
        types::USER_REINSTATED,
        types::USER_INVITATION_EXPIRED,
        types::USER_INVITATION_REVOKED,
    ]
    .iter()
    .any(|t| e.is(*t))
    {
        return seat();
    }
    let count = |metric: Metric, n: i64| vec![(metric, n, json!({ "subject": e.subject.id }))];
    if e.is(types::MAP_SHAPE_CREATED) {
        return count(Metric::MapsShapesCount, 1);
    }
    if e.is(types::MAP_SHAPE_DELETED) {
        return count(Metric::MapsShapesCount, -1);
    }
    if e.is(types::MAP_OVERLAY_CREATED) {
        return count(Metric::MapsOverlaysCount, 1);
    }
    if e.is(types::MAP_OVERLAY_DELETED) {
        return count(Metric::MapsOverlaysCount, -1);
    }
    Vec::new()
}

/// The counter a usage event adds to: its period's, or the level's (`all`).
pub fn counter_period(metric: Metric, at: Timestamp, zone: Tz) -> String {
    if metric.gauge() {
        "all".into()
    } else {
        Period::containing(at, zone).key()
    }
}

/// Handles one event of the metering queue.
pub async fn handle(store: &Store, terms: Terms, e: DomainEvent) -> Result<(), ConsumerError> {
    if e.is(types::TENANT_CREATED) {
        return start_subscription(store, terms, &e).await;
    }
    let usage = usage_of(&e);
    if usage.is_empty() {
        return Ok(());
    }
    let zone = store.get_as::<Subscription>(&Subscription::key(e.tenant_id)).await?.map(|s| s.zone()).unwrap_or(Tz::UTC);
    for (metric, quantity, metadata) in usage {
        let u = UsageEvent {
            id: UsageEvent::id_for(&e.event_id, metric),
            metric,
            quantity,
            occurred_at: e.occurred_at,
            source: UsageSource::System,
            correlation_id: Some(e.event_id.clone()),
            metadata,
        };
        record(store, e.tenant_id, &u, zone).await?;
    }
    Ok(())
}

/// Records one usage event and adds it to its counter, once.
pub async fn record(store: &Store, t: TenantId, u: &UsageEvent, zone: Tz) -> Result<bool, StoreError> {
    let period = counter_period(u.metric, u.occurred_at, zone);
    let key = keys::billing_usage_event(t, u.metric.as_str(), &period, &format!("{}#{}", u.occurred_at, u.id));
    let stored = item::to_item(&key, &json!({ "tenant_id": t, "period": period, "event": u }))?;
    // Once per id, whatever else differs (a retried API call's `occurred_at`,
    // a zone changed meanwhile): the id's own marker decides.
    let marker = item::to_item(&keys::unique(t, "BUSAGE_ID", &u.id), &json!({ "period": period }))?;
    let tx = Tx::new().put_new("usage_event", marker).put_new("usage_item", stored).update(
        "counter",
        &keys::billing_counter(t, &period, u.metric.as_str()),
        "ADD #value :q SET #metric = :metric, #period = :period, last_increment_at = :at",
        Condition::always()
            .name("#value", "value")
            .name("#metric", "metric_code")
            .name("#period", "period")
            .value(":q", crm_store::AttributeValue::N(u.quantity.to_string()))
            .value(":metric", crm_store::AttributeValue::S(u.metric.as_str().into()))
            .value(":period", crm_store::AttributeValue::S(period.clone()))
            .value(":at", crm_store::AttributeValue::S(u.occurred_at.to_string())),
    );
    match store.transact(tx).await {
        Ok(()) => Ok(true),
        // Either is a fact already counted (an event from before the markers has only its item).
        Err(StoreError::ConditionFailed { label }) if label == "usage_event" || label == "usage_item" => Ok(false),
        Err(e) => Err(e),
    }
}

async fn start_subscription(store: &Store, terms: Terms, e: &DomainEvent) -> Result<(), ConsumerError> {
    if store.get(&Subscription::key(e.tenant_id)).await?.is_some() {
        return Ok(());
    }
    // The plan the tenant holds now (its record is the authority until
    // billing changes it): the subscription adopts it, the record is not rewritten.
    let Some(tenant) = crm_directory::tenant(store, e.tenant_id).await? else { return Ok(()) };
    let s = Subscription::start(e.tenant_id, &tenant.plan, e.occurred_at, terms);
    let changed = crate::events::subscription_changed(&s, None, "started");
    let tx = s.adopt(Tx::new()).map_err(ConsumerError::from)?.emit_audited(&changed);
    match store.transact(tx).await {
        Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_events::{Actor, Subject};

    fn event(t: crm_events::EventType, data: Value) -> DomainEvent {
        DomainEvent::new(TenantId::new(), t, Actor::system(), Subject { kind: "x".into(), id: "1".into() }, data)
    }

    #[test]
    fn what_each_event_meters() {
        let m = |e: DomainEvent| usage_of(&e).into_iter().map(|(m, q, _)| (m, q)).collect::<Vec<_>>();
        assert_eq!(m(event(types::MESSAGE_SENT, json!({"channel": "sms"}))), [(Metric::SmsSent, 1)]);
        assert_eq!(m(event(types::MESSAGE_SENT, json!({"channel": "whatsapp"}))), [(Metric::WhatsappSent, 1)]);
        assert_eq!(m(event(types::MESSAGE_SENT, json!({"channel": "email", "mirror_of": "m1"}))), []);
        assert_eq!(m(event(types::MESSAGE_SENT, json!({"channel": "inbox"}))), []);
        assert_eq!(
            m(event(types::MESSAGE_DELIVERED, json!({"channel": "sms", "price": {"pricePerMessage": 0.0065, "currency": "EUR"}}))),
            [(Metric::SmsCost, 6_500)]
        );
        assert_eq!(m(event(types::MESSAGE_DELIVERED, json!({"channel": "sms"}))), []);
        assert_eq!(m(event(types::USER_INVITED, json!({"seat": "assign"}))), [(Metric::SeatsUsed, 1)]);
        assert_eq!(m(event(types::USER_DEACTIVATED, json!({"seat": "unassign"}))), [(Metric::SeatsUsed, -1)]);
        assert_eq!(m(event(types::USER_CREATED, json!({"via": "invitation"}))), []);
        // An import's shapes are each `map.shape.created`: its summary counts nothing more.
        assert_eq!(m(event(types::MAP_SHAPES_IMPORTED, json!({"counts": {"created": 12}}))), []);
        assert_eq!(m(event(types::MAP_SHAPE_CREATED, json!({}))), [(Metric::MapsShapesCount, 1)]);
        assert_eq!(m(event(types::NOTE_CREATED, json!({}))), []);
    }

    #[test]
    fn levels_count_for_all_time_and_flows_per_local_month() {
        let at = Timestamp::parse("2026-11-30T22:30:00Z").unwrap();
        let cairo: Tz = "Africa/Cairo".parse().unwrap();
        assert_eq!(counter_period(Metric::SmsSent, at, cairo), "2026-12");
        assert_eq!(counter_period(Metric::SmsSent, at, Tz::UTC), "2026-11");
        assert_eq!(counter_period(Metric::SeatsUsed, at, cairo), "all");
    }
}
