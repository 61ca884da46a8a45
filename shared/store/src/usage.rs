//! Plan-limited counts held race-free (`users.max` seats, `contacts.max`,
//! `companies.max`, …): one counter attribute per limit on the tenant's
//! usage item, moved in the same transaction as the record it counts. A
//! [`take`] beyond the limit fails the whole transaction under its label, so
//! simultaneous creates can never exceed it.

use crm_kernel::TenantId;

use crate::tx::Condition;
use crate::{keys, AttributeValue, Tx};

/// Adds one to `counter` unless it has reached `max`; the transaction fails
/// with `label` when it has.
pub fn take(tx: Tx, label: &str, tenant: TenantId, counter: &str, max: i64) -> Tx {
    take_at(tx, label, &keys::usage(tenant), counter, max, None)
}

/// [`take`] on the counter item at `key` (a budget of its own window, say),
/// which expires at `ttl` when given.
pub fn take_at(tx: Tx, label: &str, key: &crate::Key, counter: &str, max: i64, ttl: Option<i64>) -> Tx {
    let mut condition = Condition::new(below(max, "#c", ":max"))
        .name("#c", counter)
        .value(":max", AttributeValue::N(max.to_string()))
        .value(":one", AttributeValue::N("1".into()))
        .value(":zero", AttributeValue::N("0".into()));
    let mut expression = "SET #c = if_not_exists(#c, :zero) + :one".to_string();
    if let Some(t) = ttl {
        condition = condition.name("#ttl", keys::TTL).value(":ttl", AttributeValue::N(t.to_string()));
        expression.push_str(", #ttl = if_not_exists(#ttl, :ttl)");
    }
    tx.update(label, key, &expression, condition)
}

/// Adds `n` at once (a batch of records) unless that would pass `max`.
pub fn take_n(tx: Tx, label: &str, tenant: TenantId, counter: &str, n: i64, max: i64) -> Tx {
    take_n_at(tx, label, &keys::usage(tenant), counter, n, max)
}

/// [`take_n`] on the counter item `key` (a month's usage, say).
pub fn take_n_at(tx: Tx, label: &str, key: &crate::Key, counter: &str, n: i64, max: i64) -> Tx {
    // More than the whole limit can never fit: a condition that cannot hold (counts are ≥ 0).
    let expression = if n <= max { "attribute_not_exists(#c) OR #c <= :room" } else { "attribute_exists(#c) AND #c <= :room" };
    let condition = Condition::new(expression)
        .name("#c", counter)
        .value(":room", AttributeValue::N((max - n).to_string()))
        .value(":n", AttributeValue::N(n.to_string()))
        .value(":zero", AttributeValue::N("0".into()));
    tx.update(label, key, "SET #c = if_not_exists(#c, :zero) + :n", condition)
}

/// Gives one back (never below zero: the transaction fails with `label` then).
pub fn release(tx: Tx, label: &str, tenant: TenantId, counter: &str) -> Tx {
    let condition = Condition::new("#c > :zero")
        .name("#c", counter)
        .value(":zero", AttributeValue::N("0".into()))
        .value(":one", AttributeValue::N("1".into()));
    tx.update(label, &keys::usage(tenant), "SET #c = #c - :one", condition)
}

/// Adds one to each of several counters at once (a lead's conversion makes
/// a contact, a company and a deal): one update of the usage item — a
/// transaction may touch an item only once — failing with `label` when any
/// counter has reached its max.
pub fn take_each(tx: Tx, label: &str, tenant: TenantId, counters: &[(&str, i64)]) -> Tx {
    let mut condition = Condition::new("").value(":one", AttributeValue::N("1".into())).value(":zero", AttributeValue::N("0".into()));
    let (mut sets, mut guards) = (Vec::new(), Vec::new());
    for (i, (counter, max)) in counters.iter().enumerate() {
        condition = condition.name(&format!("#c{i}"), counter).value(&format!(":max{i}"), AttributeValue::N(max.to_string()));
        sets.push(format!("#c{i} = if_not_exists(#c{i}, :zero) + :one"));
        guards.push(format!("({})", below(*max, &format!("#c{i}"), &format!(":max{i}"))));
    }
    condition.expression = guards.join(" AND ");
    tx.update(label, &keys::usage(tenant), &format!("SET {}", sets.join(", ")), condition)
}

/// "The counter is below `max`": a counter never written is 0, below any
/// positive max — but a max of 0 (or less) admits nothing.
fn below(max: i64, counter: &str, max_value: &str) -> String {
    if max > 0 {
        format!("attribute_not_exists({counter}) OR {counter} < {max_value}")
    } else {
        format!("{counter} < {max_value}")
    }
}
