//! The meters and how usage events become counters.
//!
//! A usage event (`billing_usage_events`) is one fact with its own id: the
//! id of the domain event it came from, with the metric. Counters
//! (`usage_counters`) are sums of events, deduplicated by id, so the order
//! events arrive in and how often they arrive never matter:
//!
//! * **flow** metrics (`sms.sent`, `whatsapp.sent`, `email.sent`, the costs)
//!   count the events of the period;
//! * **gauge** metrics (`seats.used`, `maps.shapes.count`,
//!   `maps.overlays.count`) are levels: each event is a change (+1, −1) and
//!   the period's value is every change up to the period's end.

use std::collections::{BTreeMap, BTreeSet};

use crm_kernel::Timestamp;
use serde::{Deserialize, Serialize};

crm_kernel::named_enum! {
    /// The spec's meters, plus the provider's cost of SMS and WhatsApp
    /// (Infobip's DLR `price`, in millionths of its currency).
    #[derive(PartialOrd, Ord)]
    pub enum Metric {
        SeatsUsed = "seats.used",
        SmsSent = "sms.sent",
        WhatsappSent = "whatsapp.sent",
        EmailSent = "email.sent",
        MapsShapesCount = "maps.shapes.count",
        MapsOverlaysCount = "maps.overlays.count",
        SmsCost = "sms.cost",
        WhatsappCost = "whatsapp.cost",
    }
}

crm_kernel::named_enum! {
    /// Where a usage event came from: a domain event, or the internal API.
    pub enum UsageSource { System = "system", Api = "api" }
}

impl Metric {
    /// A level (changes summed over all time), not a count per period.
    pub fn gauge(self) -> bool {
        matches!(self, Metric::SeatsUsed | Metric::MapsShapesCount | Metric::MapsOverlaysCount)
    }

    /// Billed above what a plan includes (SMS and WhatsApp; email is informational).
    pub fn billed(self) -> bool {
        matches!(self, Metric::SmsSent | Metric::WhatsappSent)
    }
}

/// One usage fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UsageEvent {
    /// `{source event id}#{metric}`: the same fact always has the same id.
    pub id: String,
    pub metric: Metric,
    pub quantity: i64,
    pub occurred_at: Timestamp,
    pub source: UsageSource,
    /// The domain event (or request) it came from.
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub metadata: serde_json::Value,
}

impl UsageEvent {
    pub fn id_for(source_event: &str, metric: Metric) -> String {
        format!("{source_event}#{metric}")
    }
}

/// The counters of the period `[start, end)` from every event (in any order,
/// duplicates included).
pub fn counters<'a>(events: impl IntoIterator<Item = &'a UsageEvent>, start: Timestamp, end: Timestamp) -> BTreeMap<Metric, i64> {
    let mut seen = BTreeSet::new();
    let mut out = BTreeMap::new();
    for e in events {
        let counts = e.occurred_at < end && (e.metric.gauge() || e.occurred_at >= start);
        if counts && seen.insert(e.id.as_str()) {
            *out.entry(e.metric).or_insert(0) += e.quantity;
        }
    }
    out
}

/// Parses a decimal price (`0.0065`, `"1.2"`) into millionths, exactly:
/// no float is ever involved. More than six decimals, a sign or anything
/// else is `None`.
pub fn micros(decimal: &str) -> Option<i64> {
    let (whole, frac) = decimal.trim().split_once('.').unwrap_or((decimal.trim(), ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 6 || !whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<6}").parse().ok()? };
    whole.checked_mul(1_000_000)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(day: u32, hour: u32) -> Timestamp {
        Timestamp::parse(&format!("2026-11-{day:02}T{hour:02}:00:00Z")).unwrap()
    }

    fn ev(id: &str, metric: Metric, quantity: i64, occurred_at: Timestamp) -> UsageEvent {
        UsageEvent {
            id: id.into(),
            metric,
            quantity,
            occurred_at,
            source: UsageSource::System,
            correlation_id: None,
            metadata: serde_json::Value::Null,
        }
    }

    #[test]
    fn flow_metrics_count_the_period_and_gauges_all_time() {
        let (start, end) = (at(1, 0), Timestamp::parse("2026-12-01T00:00:00Z").unwrap());
        let events = [
            ev("a", Metric::SmsSent, 1, at(2, 0)),
            ev("a", Metric::SmsSent, 1, at(2, 0)),
            ev("old", Metric::SmsSent, 1, Timestamp::parse("2026-10-31T23:00:00Z").unwrap()),
            ev("s1", Metric::SeatsUsed, 1, Timestamp::parse("2026-10-01T00:00:00Z").unwrap()),
            ev("s2", Metric::SeatsUsed, 1, at(3, 0)),
            ev("s3", Metric::SeatsUsed, -1, at(4, 0)),
            ev("late", Metric::SeatsUsed, 1, Timestamp::parse("2026-12-01T00:00:00Z").unwrap()),
        ];
        let c = counters(&events, start, end);
        assert_eq!(c.get(&Metric::SmsSent), Some(&1));
        assert_eq!(c.get(&Metric::SeatsUsed), Some(&1));
    }

    #[test]
    fn prices_are_read_exactly() {
        assert_eq!(micros("0.0065"), Some(6_500));
        assert_eq!(micros("1.2"), Some(1_200_000));
        assert_eq!(micros("3"), Some(3_000_000));
        assert_eq!(micros(".5"), Some(500_000));
        for bad in ["", ".", "-1", "0.0000001", "1e3", "abc"] {
            assert_eq!(micros(bad), None, "{bad}");
        }
    }

    proptest! {
        /// However often and in whatever order the events arrive, the
        /// counters are the sums of the distinct events.
        #[test]
        fn duplicates_and_order_never_change_the_counters(
            facts in proptest::collection::vec((0usize..4, 1i64..5, 1u32..29), 1..200),
            dups in proptest::collection::vec(any::<proptest::sample::Index>(), 0..40),
            seed in any::<u64>(),
        ) {
            let metrics = [Metric::SmsSent, Metric::WhatsappSent, Metric::EmailSent, Metric::SeatsUsed];
            let events: Vec<UsageEvent> = facts.iter().enumerate()
                .map(|(i, (m, q, d))| ev(&format!("e{i}"), metrics[*m], *q, at(*d, 12)))
                .collect();
            let mut expected: BTreeMap<Metric, i64> = BTreeMap::new();
            for e in &events { *expected.entry(e.metric).or_insert(0) += e.quantity; }
            let mut delivered = events.clone();
            delivered.extend(dups.iter().map(|i| events[i.index(events.len())].clone()));
            // A deterministic shuffle from the seed.
            let mut state = seed | 1;
            for i in (1..delivered.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                delivered.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let got = counters(&delivered, at(1, 0), Timestamp::parse("2026-12-01T00:00:00Z").unwrap());
            prop_assert_eq!(got, expected);
        }
    }
}
