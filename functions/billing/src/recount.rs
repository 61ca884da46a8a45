//! The daily recount: a tenant's counters of the open period (and its
//! levels) recomputed from its usage events, compared with the near-real-time
//! counters, and set right. Every counter records when it was recounted and
//! the drift found (`drift`, normally 0); a drift is logged and emitted as
//! `billing.usage.drift`.

use std::collections::BTreeMap;

use crm_billing::usage::{counters, Metric, UsageEvent};
use crm_billing::Period;
use crm_events::outbox::EmitExt;
use crm_events::{types, Actor, DomainEvent, Subject};
use crm_kernel::{AppError, Limit, TenantId, Timestamp};
use crm_store::{keys, AttributeValue, Index, Query, Store, Tx};
use serde_json::json;

use crate::subscription::Subscription;

/// Recounts tenant `t` at `now`; returns the drift of each metric.
pub async fn recount(store: &Store, t: TenantId, now: Timestamp) -> Result<BTreeMap<Metric, i64>, AppError> {
    let zone = store.get_as::<Subscription>(&Subscription::key(t)).await?.map(|s| s.zone()).unwrap_or(chrono_tz::Tz::UTC);
    let period = Period::containing(now, zone);
    let (start, end) = (period.starts_at(zone), period.ends_at(zone));
    let stored = crate::invoices::counters(store, t, &period.key()).await?;
    let mut drift = BTreeMap::new();
    for metric in Metric::ALL.iter().filter_map(|m| Metric::parse(m)) {
        let events = events_of(store, t, metric, if metric.gauge() { None } else { Some(start) }, end).await?;
        let fresh = counters(&events, start, end).get(&metric).copied().unwrap_or(0);
        let had = stored.get(&metric).copied();
        if had.is_none() && fresh == 0 {
            continue;
        }
        let d = fresh - had.unwrap_or(0);
        drift.insert(metric, d);
        let key_period = crate::metering::counter_period(metric, start, zone);
        let n = |v: i64| AttributeValue::N(v.to_string());
        let mut tx = Tx::new().set(
            "counter",
            &keys::billing_counter(t, &key_period, metric.as_str()),
            &[
                ("value", n(fresh)),
                ("drift", n(d)),
                ("recounted_at", AttributeValue::S(now.to_string())),
                ("metric_code", AttributeValue::S(metric.as_str().into())),
                ("period", AttributeValue::S(key_period.clone())),
            ],
            &[],
            crm_store::tx::Condition::always(),
        );
        if d != 0 {
            tracing::warn!(tenant = %t, metric = metric.as_str(), drift = d, "usage counter drifted from its events; set right");
            tx = tx.emit(&DomainEvent::new(
                t,
                types::BILLING_USAGE_DRIFT,
                Actor::system(),
                Subject { kind: "usage_counter".into(), id: format!("{key_period}#{metric}") },
                json!({ "metric_code": metric, "period": key_period, "counted": had, "recounted": fresh, "drift": d }),
            ));
        }
        store.transact(tx).await?;
    }
    Ok(drift)
}

/// A tenant's usage events of `metric` from `from` (all time if `None`) to `end`.
async fn events_of(
    store: &Store,
    t: TenantId,
    metric: Metric,
    from: Option<Timestamp>,
    end: Timestamp,
) -> Result<Vec<UsageEvent>, AppError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let q = Query::index(t, Index::ByParent, keys::billing_usage_pk(t, metric.as_str()))
            .sk_between(from.map(|f| f.to_string()).unwrap_or_else(|| "0".into()), end.to_string())
            .limit(Limit::max())
            .after(cursor);
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
