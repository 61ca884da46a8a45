//! The kanban and forecast read models (the spec asks for a "Kanban board view
//! per pipeline" and "simple forecasting based on stage probability").
//!
//! Tallies live in the pipeline's own partition, next to its item:
//!
//! * `TALLY#STAGE#{stage}` — the stage's deal `count` and `amount_{CUR}` per currency;
//! * `TALLY#MONTH#{YYYY-MM|none}#{stage}` — the same per close month and stage.
//!
//! Every write of a deal adds [`deltas`] of its old and new contribution to
//! its own transaction (`ADD`, so concurrent writes never lose a count), so
//! the tallies always equal the sum of the deals; one Query of the pipeline
//! partition reads the pipeline and all its tallies. The weighted forecast
//! multiplies a month's amounts by each stage's *current* probability when
//! read, so changing a probability needs no rewrite.

use std::collections::BTreeMap;

use crm_kernel::TenantId;
use crm_store::tx::Condition;
use crm_store::{keys, AttributeValue, Item, Key, Tx};
use serde::Serialize;

use crate::deal::Deal;
use crate::pipeline::{Pipeline, Stage};

/// Which tally item of a pipeline: a stage's, or a (close month, stage)'s.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TallyOf {
    Stage(String),
    Month(String, String),
}

impl TallyOf {
    /// The item's key in `pipeline`'s partition.
    pub fn key(&self, tenant: TenantId, pipeline: &str) -> Key {
        match self {
            TallyOf::Stage(stage) => keys::stage_tally(tenant, pipeline, stage),
            TallyOf::Month(month, stage) => keys::month_tally(tenant, pipeline, month, stage),
        }
    }

    /// Which tally a pipeline partition's sort key names, if any.
    pub fn of_sk(sk: &str) -> Option<Self> {
        let rest = sk.strip_prefix(keys::TALLY_PREFIX)?;
        if let Some(stage) = rest.strip_prefix("STAGE#") {
            return Some(TallyOf::Stage(stage.to_string()));
        }
        let (month, stage) = rest.strip_prefix("MONTH#")?.split_once('#')?;
        Some(TallyOf::Month(month.to_string(), stage.to_string()))
    }
}

/// Changes to tally items: item → attribute → amount to add.
pub type Deltas = BTreeMap<TallyOf, BTreeMap<String, i64>>;

fn contributions(d: &Deal) -> [(TallyOf, [(String, i64); 2]); 2] {
    let attrs = || [("count".to_string(), 1), (format!("amount_{}", d.fields.currency.code()), d.fields.amount)];
    [(TallyOf::Stage(d.stage_id.to_string()), attrs()), (TallyOf::Month(d.close_month().to_string(), d.stage_id.to_string()), attrs())]
}

/// What a write of a deal (`None` before: created; `None` after: deleted)
/// changes in its pipeline's tallies; zero changes are left out.
pub fn deltas(before: Option<&Deal>, after: Option<&Deal>) -> Deltas {
    let mut out = Deltas::new();
    for (deal, sign) in [(before, -1), (after, 1)] {
        for (sk, attrs) in deal.into_iter().flat_map(contributions) {
            for (attr, v) in attrs {
                *out.entry(sk.clone()).or_default().entry(attr).or_default() += sign * v;
            }
        }
    }
    for attrs in out.values_mut() {
        attrs.retain(|_, v| *v != 0);
    }
    out.retain(|_, attrs| !attrs.is_empty());
    out
}

/// Adds `deltas` to `tx`: one `ADD` update per tally item.
pub fn write(mut tx: Tx, tenant: TenantId, pipeline: &Pipeline, deltas: &Deltas) -> Tx {
    let pipeline = pipeline.id.to_string();
    for (which, attrs) in deltas {
        let adds: Vec<(&str, i64)> = attrs.iter().map(|(a, v)| (a.as_str(), *v)).collect();
        tx = tx.add("tally", &which.key(tenant, &pipeline), &adds, Condition::always());
    }
    tx
}

/// One close month of a forecast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// Open deals closing that month: count and amounts per currency.
    pub open: Tally,
    /// Their amounts weighted by their stages' probabilities, per currency.
    pub weighted: BTreeMap<String, i64>,
    /// Won deals closed that month.
    pub won: Tally,
}

/// One tally item read back: a count and amounts per currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Tally {
    pub count: i64,
    pub amounts: BTreeMap<String, i64>,
}

impl Tally {
    pub fn from_item(it: &Item) -> Self {
        let n = |v: &AttributeValue| v.as_n().ok().and_then(|n| n.parse::<i64>().ok()).unwrap_or(0);
        let mut t = Tally::default();
        for (k, v) in it {
            if k == "count" {
                t.count = n(v);
            } else if let Some(cur) = k.strip_prefix("amount_") {
                if n(v) != 0 {
                    t.amounts.insert(cur.to_string(), n(v));
                }
            }
        }
        t
    }

    /// The tally of the deals themselves (what a caller who sees only some of them is shown).
    pub fn of_deals(deals: &[Deal]) -> Self {
        let mut t = Tally { count: deals.len() as i64, ..Tally::default() };
        for d in deals {
            *t.amounts.entry(d.fields.currency.code().to_string()).or_default() += d.fields.amount;
        }
        t
    }

    fn add(&mut self, other: &Tally, pct: i64) {
        self.count += other.count;
        for (cur, v) in &other.amounts {
            *self.amounts.entry(cur.clone()).or_default() += weighted(*v, pct);
        }
    }
}

/// The open value of some stages' tallies, and that value weighted by
/// each stage's probability (win and loss stages count in neither).
pub fn open_value<'a>(columns: impl IntoIterator<Item = (&'a Stage, &'a Tally)>) -> (Tally, Tally) {
    let (mut value, mut weighted) = (Tally::default(), Tally::default());
    for (s, t) in columns.into_iter().filter(|(s, _)| s.is_open()) {
        value.add(t, 100);
        weighted.add(t, s.probability_pct as i64);
    }
    (value, weighted)
}

/// `amount × pct / 100`, rounded half up, in minor units.
pub fn weighted(amount: i64, pct: i64) -> i64 {
    (amount as i128 * pct as i128 + 50).div_euclid(100) as i64
}

/// The tallies of a pipeline partition, by stage and by (month, stage).
#[derive(Debug, Default)]
pub struct Tallies {
    pub stages: BTreeMap<String, Tally>,
    pub months: BTreeMap<String, BTreeMap<String, Tally>>,
}

impl Tallies {
    pub fn from_items(items: &[Item]) -> Self {
        let mut out = Tallies::default();
        for it in items {
            let Some(sk) = it.get(crm_store::keys::SK).and_then(|v| v.as_s().ok()) else { continue };
            match TallyOf::of_sk(sk) {
                Some(TallyOf::Stage(stage)) => {
                    out.stages.insert(stage, Tally::from_item(it));
                }
                Some(TallyOf::Month(month, stage)) => {
                    out.months.entry(month).or_default().insert(stage, Tally::from_item(it));
                }
                None => {}
            }
        }
        out
    }

    pub fn stage(&self, s: &Stage) -> Tally {
        self.stages.get(&s.id.to_string()).cloned().unwrap_or_default()
    }

    /// Open pipeline value and its weighted forecast, over all open stages.
    pub fn open_value(&self, p: &Pipeline) -> (Tally, Tally) {
        let columns: Vec<(&Stage, Tally)> = p.stages.iter().map(|s| (s, self.stage(s))).collect();
        open_value(columns.iter().map(|(s, t)| (*s, t)))
    }

    /// Per close month: open amount, weighted amount, and won amount.
    pub fn forecast(&self, p: &Pipeline) -> Vec<Month> {
        self.months
            .iter()
            .map(|(month, by_stage)| {
                let (mut open, mut weighted, mut won) = (Tally::default(), Tally::default(), Tally::default());
                for s in &p.stages {
                    let Some(t) = by_stage.get(&s.id.to_string()) else { continue };
                    if s.is_open() {
                        open.add(t, 100);
                        weighted.add(t, s.probability_pct as i64);
                    } else if s.is_win {
                        won.add(t, 100);
                    }
                }
                Month { month: month.clone(), open, weighted: weighted.amounts, won }
            })
            .filter(|m| m.open.count != 0 || m.won.count != 0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_kernel::EntityId;
    use proptest::prelude::*;

    fn deal(stage: EntityId, amount: i64, cur: &str, close: Option<&str>) -> Deal {
        crate::deal::sample(stage, amount, cur, close)
    }

    #[test]
    fn a_move_takes_from_one_stage_and_gives_to_another() {
        let (a, b) = (EntityId::new(), EntityId::new());
        let before = deal(a, 500, "USD", Some("2026-12-01"));
        let after = Deal { stage_id: b, ..before.clone() };
        let d = deltas(Some(&before), Some(&after));
        assert_eq!(d[&TallyOf::Stage(a.to_string())]["count"], -1);
        assert_eq!(d[&TallyOf::Stage(b.to_string())]["amount_USD"], 500);
        assert_eq!(d.len(), 4);
        assert!(deltas(Some(&before), Some(&before)).is_empty(), "an unchanged deal changes nothing");
    }

    #[test]
    fn weighting_rounds_half_up_in_minor_units() {
        assert_eq!((weighted(12_000_000, 75), weighted(5, 10), weighted(5, 30)), (9_000_000, 1, 2));
    }

    proptest! {
        /// Summing the deltas of any sequence of creates, moves, amount
        /// changes and deletes gives the tallies of the deals that remain.
        #[test]
        fn deltas_sum_to_the_tallies_of_the_surviving_deals(ops in proptest::collection::vec((0u8..4, 0usize..6, 0usize..3, 0i64..1_000_000, 0usize..2), 1..60)) {
            let stages: Vec<EntityId> = (0..3).map(|_| EntityId::new()).collect();
            let months = [Some("2026-01-15"), None];
            let mut deals: Vec<Deal> = Vec::new();
            let mut sum = Deltas::new();
            let mut add = |d: Deltas| for (k, attrs) in d { for (a, v) in attrs { *sum.entry(k.clone()).or_default().entry(a).or_default() += v; } };
            for (op, pick, stage, amount, month) in ops {
                match op {
                    0 => { let d = deal(stages[stage], amount, if month == 0 { "USD" } else { "EGP" }, months[month]); add(deltas(None, Some(&d))); deals.push(d); }
                    _ if deals.is_empty() => {}
                    1 => { let i = pick % deals.len(); let n = Deal { stage_id: stages[stage], ..deals[i].clone() }; add(deltas(Some(&deals[i]), Some(&n))); deals[i] = n; }
                    2 => { let i = pick % deals.len(); let mut n = deals[i].clone(); n.fields.amount = amount; n.fields.close_date = months[month].map(str::to_string); add(deltas(Some(&deals[i]), Some(&n))); deals[i] = n; }
                    _ => { let i = pick % deals.len(); let d = deals.remove(i); add(deltas(Some(&d), None)); }
                }
            }
            let mut expected = Deltas::new();
            for d in &deals { for (k, attrs) in deltas(None, Some(d)) { for (a, v) in attrs { *expected.entry(k.clone()).or_default().entry(a).or_default() += v; } } }
            for attrs in sum.values_mut() { attrs.retain(|_, v| *v != 0); }
            sum.retain(|_, a| !a.is_empty());
            prop_assert_eq!(sum, expected);
        }
    }
}
