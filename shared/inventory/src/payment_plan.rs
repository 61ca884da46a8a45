//! Payment plans: a template of lines, each a share of the price due at an
//! offset (days after the reservation or the contract, a fixed date, or on
//! handover). The shares are whole basis points and sum to exactly 100 %;
//! applied to a price, a plan makes an installment schedule in minor units
//! whose rounding remainder goes to the last line, so it sums to the price
//! to the minor unit.
//!
//! Stored as `T#{t}#PAYPLAN#{id}` / `META`, listed by `by_kind` `PAYPLAN`.

use chrono::NaiveDate;
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, Currency, EntityId, TenantId, Timestamp};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

pub const PAYPLAN: &str = "PAYPLAN";
/// 100 % in basis points.
pub const WHOLE: u32 = 10_000;
pub const MAX_LINES: usize = 60;

crm_kernel::named_enum! {
    /// What a line's offset counts from.
    pub enum Anchor { AfterReservation = "after_reservation", AfterContract = "after_contract", FixedDate = "fixed_date", OnHandover = "on_handover" }
}

/// One line of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Line {
    pub label: String,
    /// The share of the price, in basis points (`1250` is 12.5 %).
    pub basis_points: u32,
    pub due: Anchor,
    /// Days after the anchor (`after_reservation`, `after_contract`).
    #[serde(default)]
    pub days: u32,
    /// `YYYY-MM-DD` (`fixed_date`).
    #[serde(default)]
    pub date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PaymentPlan {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub name: String,
    pub lines: Vec<Line>,
    pub is_active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// A line as sent.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LineInput {
    #[schemars(length(min = 1, max = 100))]
    pub label: Input<String>,
    /// A percentage with at most two decimals, more than 0 (`12.5`).
    #[schemars(range(min = 0.01, max = 100))]
    pub percent: Input<f64>,
    pub due: Input<String>,
    /// 0 to 3650, for `after_reservation` and `after_contract`.
    #[schemars(range(min = 0, max = 3650))]
    pub days: Input<i64>,
    /// `YYYY-MM-DD`, for `fixed_date`.
    #[schemars(extend("format" = "date"))]
    pub date: Input<String>,
}

/// The body of `POST /v1/payment-plans` and `PATCH /v1/payment-plans/{id}`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PlanChanges {
    #[schemars(length(min = 1, max = 200))]
    pub name: Input<String>,
    /// 1 to 60 lines whose percentages sum to exactly 100.
    #[schemars(length(min = 1, max = 60))]
    pub lines: Input<Vec<LineInput>>,
    pub is_active: Input<bool>,
}

/// One installment of a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Installment {
    pub seq: u32,
    pub label: String,
    pub basis_points: u32,
    /// Minor units.
    pub amount: i64,
    pub currency: Currency,
    pub due: Anchor,
    /// `YYYY-MM-DD`, when the anchor's date is known.
    pub due_date: Option<String>,
}

/// The dates a schedule's lines count from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Anchors {
    pub reserved_on: Option<NaiveDate>,
    pub contract_on: Option<NaiveDate>,
    pub handover_on: Option<NaiveDate>,
}

fn line(f: &mut Fields, i: usize, l: LineInput) -> Option<Line> {
    let mut g = Fields::nested(&format!("lines[{i}]"));
    let label = g.text("label", l.label, 100).flatten();
    g.require("label", label.is_some());
    let bp = match g.number("percent", l.percent, 0.01..=100.0) {
        Some(Some(p)) => {
            let bp = (p * 100.0).round();
            if (p * 100.0 - bp).abs() > 1e-6 {
                g.error("percent", "at most two decimals");
            }
            Some(bp as u32)
        }
        Some(None) => {
            g.error("percent", "is required");
            None
        }
        None => None,
    };
    g.require("percent", bp.is_some());
    let due = g.one_of("due", l.due, Anchor::ALL).and_then(|d| Anchor::parse(&d));
    g.require("due", due.is_some());
    let mut days = 0;
    let mut date = None;
    match due {
        Some(Anchor::AfterReservation | Anchor::AfterContract) => {
            g.refuse("date", &l.date, "only for a fixed_date line");
            if let Input::Absent = l.days {
            } else if let Some(n) = g.int("days", l.days, 0..=3650) {
                days = n as u32;
            }
        }
        Some(Anchor::FixedDate) => {
            g.refuse("days", &l.days, "only for an after_reservation or after_contract line");
            date = g.date("date", l.date).flatten().map(|d| d.format("%Y-%m-%d").to_string());
            g.require("date", date.is_some());
        }
        Some(Anchor::OnHandover) => {
            g.refuse("days", &l.days, "not for an on_handover line");
            g.refuse("date", &l.date, "not for an on_handover line");
        }
        None => {}
    }
    let errors = g.into_errors();
    let ok = errors.is_empty();
    f.absorb(errors);
    match (ok, label, bp, due) {
        (true, Some(label), Some(basis_points), Some(due)) => Some(Line { label, basis_points, due, days, date }),
        _ => None,
    }
}

impl PaymentPlan {
    pub fn key(t: TenantId, id: EntityId) -> Key {
        keys::entity(t, PAYPLAN, id)
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?.with_str("kind", "payment_plan").with_index(
            Index::ByKind,
            keys::by_kind_pk(self.tenant_id, PAYPLAN),
            format!("{}#{}", self.name.to_lowercase(), self.id),
        ))
    }

    pub fn new(t: TenantId, c: PlanChanges, now: Timestamp) -> Result<Self, AppError> {
        let blank = PaymentPlan {
            id: EntityId::new(),
            tenant_id: t,
            name: String::new(),
            lines: Vec::new(),
            is_active: true,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        blank.apply(c, now)
    }

    /// This plan changed by `c`: every problem named, the lines summing to 100 %.
    pub fn apply(&self, c: PlanChanges, now: Timestamp) -> Result<Self, AppError> {
        let mut f = Fields::new();
        let mut next = self.clone();
        if let Some(n) = f.text("name", c.name, 200) {
            next.name = n.unwrap_or_default();
        }
        if let Some(b) = f.bool("is_active", c.is_active) {
            next.is_active = b;
        }
        if let Some(lines) = f.set("lines", c.lines, "must be a list of lines") {
            if lines.is_empty() || lines.len() > MAX_LINES {
                f.error("lines", format!("must have 1 to {MAX_LINES} lines"));
            } else {
                let parsed: Vec<Option<Line>> = lines.into_iter().enumerate().map(|(i, l)| line(&mut f, i, l)).collect();
                if parsed.iter().all(Option::is_some) {
                    next.lines = parsed.into_iter().flatten().collect();
                    let sum: u32 = next.lines.iter().map(|l| l.basis_points).sum();
                    if sum != WHOLE {
                        f.error("lines", format!("the percentages must sum to exactly 100 (they sum to {})", f64::from(sum) / 100.0));
                    }
                }
            }
        }
        f.require("name", !next.name.is_empty());
        f.require("lines", !next.lines.is_empty());
        let next = f.finish(next)?;
        Ok(PaymentPlan { updated_at: now, version: self.version + 1, ..next })
    }

    /// The installments of `price`: each line's share rounded down, the
    /// remainder on the last, so they sum to `price` exactly.
    pub fn schedule(&self, price: i64, currency: Currency, anchors: Anchors) -> Vec<Installment> {
        schedule(&self.lines, price, currency, anchors)
    }
}

/// The installments `lines` (summing to [`WHOLE`]) make of `price`.
pub fn schedule(lines: &[Line], price: i64, currency: Currency, anchors: Anchors) -> Vec<Installment> {
    let mut out = Vec::with_capacity(lines.len());
    let mut given: i64 = 0;
    for (i, l) in lines.iter().enumerate() {
        let amount =
            if i + 1 == lines.len() { price - given } else { (i128::from(price) * i128::from(l.basis_points) / i128::from(WHOLE)) as i64 };
        given += amount;
        let plus = |d: Option<NaiveDate>| d.and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(l.days))));
        let due_date = match l.due {
            Anchor::AfterReservation => plus(anchors.reserved_on),
            Anchor::AfterContract => plus(anchors.contract_on),
            Anchor::FixedDate => l.date.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
            Anchor::OnHandover => anchors.handover_on,
        };
        out.push(Installment {
            seq: i as u32 + 1,
            label: l.label.clone(),
            basis_points: l.basis_points,
            amount,
            currency,
            due: l.due,
            due_date: due_date.map(|d| d.format("%Y-%m-%d").to_string()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn plan(v: serde_json::Value) -> Result<PaymentPlan, AppError> {
        PaymentPlan::new(TenantId::new(), serde_json::from_value(v).unwrap(), Timestamp::now())
    }

    #[test]
    fn lines_sum_to_exactly_one_hundred_percent() {
        let p = plan(json!({"name": "10/90", "lines": [
            {"label": "Down payment", "percent": 10, "due": "after_reservation", "days": 0},
            {"label": "Installment", "percent": 12.5, "due": "after_contract", "days": 90},
            {"label": "Handover", "percent": 77.5, "due": "on_handover"}]}))
        .unwrap();
        assert_eq!(p.lines.iter().map(|l| l.basis_points).collect::<Vec<_>>(), [1000, 1250, 7750]);
        let short = plan(json!({"name": "x", "lines": [{"label": "a", "percent": 50, "due": "on_handover"}, {"label": "b", "percent": 49.99, "due": "on_handover"}]})).unwrap_err();
        assert!(short.details()[0].message.contains("99.99"), "{short:?}");
        let bad = plan(json!({"name": "x", "lines": [
            {"label": "a", "percent": 33.333, "due": "after_contract", "date": "2027-01-01"},
            {"label": "", "percent": 0, "due": "fixed_date"},
            {"label": "c", "percent": 10, "due": "someday"}]}))
        .unwrap_err();
        let fields: Vec<&str> = bad.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["lines[0].percent", "lines[0].date", "lines[1].label", "lines[1].percent", "lines[1].date", "lines[2].due"]);
    }

    #[test]
    fn a_schedule_dates_its_lines_from_their_anchors() {
        let p = plan(json!({"name": "x", "lines": [
            {"label": "Down", "percent": 33.33, "due": "after_reservation", "days": 7},
            {"label": "Fixed", "percent": 33.33, "due": "fixed_date", "date": "2027-03-01"},
            {"label": "Keys", "percent": 33.34, "due": "on_handover"}]}))
        .unwrap();
        let usd = Currency::parse("USD").unwrap();
        let anchors = Anchors {
            reserved_on: NaiveDate::from_ymd_opt(2026, 12, 1),
            contract_on: None,
            handover_on: NaiveDate::from_ymd_opt(2028, 6, 30),
        };
        let s = p.schedule(100, usd, anchors);
        assert_eq!(s.iter().map(|i| i.amount).collect::<Vec<_>>(), [33, 33, 34]);
        assert_eq!(
            s.iter().map(|i| i.due_date.as_deref()).collect::<Vec<_>>(),
            [Some("2026-12-08"), Some("2027-03-01"), Some("2028-06-30")]
        );
    }

    fn shares() -> impl Strategy<Value = Vec<u32>> {
        // Random cut points of 10 000 make the lines (each at least 1 bp).
        proptest::collection::btree_set(1u32..WHOLE, 0..12).prop_map(|cuts| {
            let mut points = vec![0];
            points.extend(cuts);
            points.push(WHOLE);
            points.windows(2).map(|w| w[1] - w[0]).collect()
        })
    }

    proptest! {
        #[test]
        fn a_schedule_sums_to_the_price_to_the_minor_unit(price in 0i64..=crate::unit::MAX_PRICE, bps in shares()) {
            prop_assert_eq!(bps.iter().sum::<u32>(), WHOLE);
            let lines: Vec<Line> = bps.iter().map(|b| Line { label: "x".into(), basis_points: *b, due: Anchor::OnHandover, days: 0, date: None }).collect();
            let s = schedule(&lines, price, Currency::parse("EGP").unwrap(), Anchors::default());
            prop_assert_eq!(s.iter().map(|i| i.amount).sum::<i64>(), price);
            prop_assert!(s.iter().all(|i| i.amount >= 0));
            // Every line but the last is its exact share rounded down; the last takes less than one minor unit per line more.
            for (i, l) in s.iter().enumerate().take(s.len() - 1) {
                prop_assert_eq!(i128::from(l.amount), i128::from(price) * i128::from(bps[i]) / i128::from(WHOLE));
            }
        }
    }
}
