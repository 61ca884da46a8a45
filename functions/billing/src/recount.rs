//! The daily recount: each counter of a tenant's open month (and its
//! levels) recomputed from its usage events, read with consistent reads
//! from the counter's own partition, compared with the near-real-time
//! counter, and set right. `seats.used` is recomputed from identity's seat
//! counter, the count of active users and pending invitations that
//! `users.max` holds (the spec's "recomputed daily").
//!
//! The write is conditional on the value read: an event counted between
//! the read and the write makes it read again, so a recount never loses an
//! increment. Every counter records when it was recounted and the drift
//! found (`drift`, normally 0); a drift is logged and emitted as
//! `billing.usage.drift`.

use std::collections::BTreeMap;

use crm_billing::usage::{Metric, UsageEvent};
use crm_billing::Period;
use crm_events::outbox::EmitExt;
use crm_events::{types, Actor, DomainEvent, Subject};
use crm_kernel::{AppError, Limit, TenantId, Timestamp};
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{keys, AttributeValue, Query, Store, StoreError, Tx};
use serde_json::json;

use crate::subscription::Subscription;

/// Recounts tenant `t` at `now`; returns the drift of each metric.
pub async fn recount(store: &Store, t: TenantId, now: Timestamp) -> Result<BTreeMap<Metric, i64>, AppError> {
    let zone = store.get_as::<Subscription>(&Subscription::key(t)).await?.map(|s| s.zone()).unwrap_or(chrono_tz::Tz::UTC);
    let period = Period::containing(now, zone);
    let mut drift = BTreeMap::new();
    for metric in Metric::ALL.iter().filter_map(|m| Metric::parse(m)) {
        let key_period = crate::metering::counter_period(metric, period.starts_at(zone), zone);
        for attempt in 1..=5 {
            let had = counter(store, t, &key_period, metric).await?;
            let fresh = match metric {
                Metric::SeatsUsed => crate::invoices::seats_held(store, t).await?,
                _ => events_of(store, t, metric, &key_period).await?.iter().map(|e| e.quantity).sum(),
            };
            if had.is_none() && fresh == 0 {
                break;
            }
            let d = fresh - had.unwrap_or(0);
            match store.transact(write(t, metric, &key_period, had, fresh, d, now)).await {
                Ok(()) => {
                    drift.insert(metric, d);
                    if d != 0 {
                        tracing::warn!(tenant = %t, metric = metric.as_str(), drift = d, "usage counter drifted from its events; set right");
                    }
                    break;
                }
                // Counted meanwhile: read both again.
                Err(StoreError::ConditionFailed { .. }) if attempt < 5 => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(drift)
}

fn write(t: TenantId, metric: Metric, period: &str, had: Option<i64>, fresh: i64, d: i64, now: Timestamp) -> Tx {
    let n = |v: i64| AttributeValue::N(v.to_string());
    let unchanged = match had {
        Some(v) => Condition::new("#value = :had").name("#value", "value").value(":had", n(v)),
        None => Condition::new("attribute_not_exists(#value)").name("#value", "value"),
    };
    let tx = Tx::new().update(
        "counter",
        &keys::billing_counter(t, period, metric.as_str()),
        "SET #value = :fresh, drift = :drift, recounted_at = :at, metric_code = :metric, #period = :period",
        unchanged
            .name("#period", "period")
            .value(":fresh", n(fresh))
            .value(":drift", n(d))
            .value(":at", AttributeValue::S(now.to_string()))
            .value(":metric", AttributeValue::S(metric.as_str().into()))
            .value(":period", AttributeValue::S(period.into())),
    );
    if d == 0 {
        return tx;
    }
    tx.emit(&DomainEvent::new(
        t,
        types::BILLING_USAGE_DRIFT,
        Actor::system(),
        Subject { kind: "usage_counter".into(), id: format!("{period}#{metric}") },
        json!({ "metric_code": metric, "period": period, "counted": had, "recounted": fresh, "drift": d }),
    ))
}

async fn counter(store: &Store, t: TenantId, period: &str, metric: Metric) -> Result<Option<i64>, AppError> {
    let it = store.get(&keys::billing_counter(t, period, metric.as_str())).await?;
    Ok(it.and_then(|it| it.num_attr("value")))
}

/// A counter's usage events (its partition, read consistently).
async fn events_of(store: &Store, t: TenantId, metric: Metric, period: &str) -> Result<Vec<UsageEvent>, AppError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let q = Query::table(t, keys::billing_usage_pk(t, metric.as_str(), period)).consistent().limit(Limit::max()).after(cursor);
        let page = store.query(q).await?;
        for it in page.items {
            let v: serde_json::Value = crm_store::item::from_item(it)?;
            if let Ok(e) = serde_json::from_value::<UsageEvent>(v["event"].clone()) {
                out.push(e);
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}
