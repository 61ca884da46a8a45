//! The availability read model of a project: how many units it has by
//! status × type, and the value still available (the sum of the available
//! units' prices, per currency). It feeds
//! `GET /v1/projects/{id}/availability`.
//!
//! Kept by the availability worker from the `unit.*` events, each of which
//! carries the unit's [`Snapshot`] before and after. A change is a set of
//! [`Delta`]s that only add, so they commute: the model is exact whatever
//! order the events come in, and a redelivered event is applied once (the
//! worker claims each event in the transaction that applies it).
//!
//! One item per bucket: `T#{t}#PROJECT#{p}` / `AVAIL#{status}#{type}#{currency}`.

use std::collections::BTreeMap;

use crm_kernel::{EntityId, TenantId};
use crm_store::{keys, Key};
use serde::{Deserialize, Serialize};

use crate::status::UnitStatus;
use crate::unit::Snapshot;

/// One bucket of the model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bucket {
    pub project_id: EntityId,
    pub status: UnitStatus,
    pub unit_type_code: String,
    pub currency: String,
}

impl Bucket {
    pub fn key(&self, t: TenantId) -> Key {
        Key {
            pk: keys::entity_pk(t, crate::project::PROJECT, &self.project_id.to_string()),
            sk: format!("{PREFIX}{}#{}#{}", self.status, self.unit_type_code, self.currency),
        }
    }

    /// The bucket a stored item's sort key names.
    pub fn parse(project_id: EntityId, sk: &str) -> Option<Bucket> {
        let mut parts = sk.strip_prefix(PREFIX)?.splitn(3, '#');
        let status = UnitStatus::parse(parts.next()?)?;
        Some(Bucket { project_id, status, unit_type_code: parts.next()?.to_string(), currency: parts.next()?.to_string() })
    }
}

/// The sort-key prefix of a project's buckets.
pub const PREFIX: &str = "AVAIL#";

/// What a change adds to one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub bucket: Bucket,
    pub units: i64,
    /// Minor units; only `available` buckets carry value.
    pub value: i64,
}

fn bucket(s: &Snapshot) -> Bucket {
    Bucket { project_id: s.project_id, status: s.status, unit_type_code: s.unit_type_code.clone(), currency: s.currency.code().to_string() }
}

fn value(s: &Snapshot) -> i64 {
    if s.status == UnitStatus::Available {
        s.price
    } else {
        0
    }
}

/// The deltas a unit's change from `before` to `after` makes (a create has
/// no `before`, a delete no `after`); nothing when nothing counted changed.
pub fn deltas(before: Option<&Snapshot>, after: Option<&Snapshot>) -> Vec<Delta> {
    let mut out: Vec<Delta> = Vec::new();
    let mut add = |s: &Snapshot, sign: i64| {
        let b = bucket(s);
        match out.iter_mut().find(|d| d.bucket == b) {
            Some(d) => {
                d.units += sign;
                d.value += sign * value(s);
            }
            None => out.push(Delta { bucket: b, units: sign, value: sign * value(s) }),
        }
    };
    if let Some(b) = before {
        add(b, -1);
    }
    if let Some(a) = after {
        add(a, 1);
    }
    out.retain(|d| d.units != 0 || d.value != 0);
    out
}

/// A project's availability, as `GET /v1/projects/{id}/availability` answers it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Availability {
    pub project_id: Option<EntityId>,
    /// Every unit counted.
    pub total_units: i64,
    /// Units by status.
    pub by_status: BTreeMap<String, i64>,
    /// Units by status × unit type: `{ "available": { "APT": 12 } }`.
    pub by_status_and_type: BTreeMap<String, BTreeMap<String, i64>>,
    /// The available units' prices summed, per currency, in minor units.
    pub value_available: BTreeMap<String, i64>,
}

impl Availability {
    /// The model from its buckets' `(bucket, units, value)`; empty buckets are left out.
    pub fn from_buckets(project_id: EntityId, buckets: impl IntoIterator<Item = (Bucket, i64, i64)>) -> Self {
        let mut a = Availability { project_id: Some(project_id), ..Default::default() };
        for (b, units, value) in buckets {
            if units != 0 {
                a.total_units += units;
                *a.by_status.entry(b.status.to_string()).or_default() += units;
                *a.by_status_and_type.entry(b.status.to_string()).or_default().entry(b.unit_type_code.clone()).or_default() += units;
            }
            if value != 0 {
                *a.value_available.entry(b.currency.clone()).or_default() += value;
            }
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_kernel::Currency;
    use proptest::prelude::*;

    fn snap(p: EntityId, status: UnitStatus, t: &str, price: i64) -> Snapshot {
        Snapshot {
            project_id: p,
            status,
            unit_type_code: t.into(),
            price,
            currency: Currency::parse("EGP").unwrap(),
            code: "A-1".into(),
            version: 1,
        }
    }

    #[test]
    fn a_status_change_moves_one_unit_and_its_value() {
        let p = EntityId::new();
        let d = deltas(Some(&snap(p, UnitStatus::Available, "APT", 500)), Some(&snap(p, UnitStatus::Reserved, "APT", 500)));
        assert_eq!(d.len(), 2);
        assert!(d.iter().any(|x| x.bucket.status == UnitStatus::Available && x.units == -1 && x.value == -500));
        assert!(d.iter().any(|x| x.bucket.status == UnitStatus::Reserved && x.units == 1 && x.value == 0));
        let same = snap(p, UnitStatus::Sold, "APT", 500);
        assert!(deltas(Some(&same), Some(&same)).is_empty());
        let priced = deltas(Some(&snap(p, UnitStatus::Available, "APT", 500)), Some(&snap(p, UnitStatus::Available, "APT", 650)));
        assert_eq!((priced[0].units, priced[0].value), (0, 150));
        let b = &priced[0].bucket;
        assert_eq!(Bucket::parse(p, &b.key(TenantId::new()).sk), Some(b.clone()));
    }

    proptest! {
        /// However the changes of a unit's life are ordered, their deltas sum
        /// to the model of where the unit ends.
        #[test]
        fn deltas_commute(steps in proptest::collection::vec((0usize..5, 0usize..3, 0i64..1000), 1..8), seed in any::<u64>()) {
            let p = EntityId::new();
            let statuses = [UnitStatus::Available, UnitStatus::Reserved, UnitStatus::Sold, UnitStatus::Hold, UnitStatus::Unavailable];
            let types = ["APT", "VILLA", "STUDIO"];
            let states: Vec<Snapshot> = steps.iter().map(|(s, t, price)| snap(p, statuses[*s], types[*t], *price)).collect();
            let mut changes: Vec<Vec<Delta>> = vec![deltas(None, Some(&states[0]))];
            for w in states.windows(2) {
                changes.push(deltas(Some(&w[0]), Some(&w[1])));
            }
            // Shuffle the order the worker sees them in.
            let mut order: Vec<usize> = (0..changes.len()).collect();
            let mut x = seed | 1;
            for i in (1..order.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                order.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let mut model: std::collections::HashMap<Bucket, (i64, i64)> = std::collections::HashMap::new();
            for i in order {
                for d in &changes[i] {
                    let e = model.entry(d.bucket.clone()).or_default();
                    e.0 += d.units;
                    e.1 += d.value;
                }
            }
            let got = Availability::from_buckets(p, model.into_iter().map(|(b, (u, v))| (b, u, v)));
            let last = states.last().unwrap();
            let want = Availability::from_buckets(p, [(bucket(last), 1, value(last))]);
            prop_assert_eq!(got, want);
        }
    }
}
