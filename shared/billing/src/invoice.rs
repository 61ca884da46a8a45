//! Invoices (`invoices`, `invoice_lines`): `draft → open → paid | void`, and
//! the drafting of a closed period's lines, in minor units.
//!
//! **The proration rule.** A period's fee is charged by the day: each plan
//! held during the period is charged `fee × days held ÷ days in the
//! period`, rounded half up to the minor unit. A plan change takes effect on
//! the local day it is made (that day is the new plan's). Trial days are
//! free. A plan held the whole period is charged exactly its fee.
//!
//! Add-on seats and overage are not prorated: they are counted at the
//! period's close, against the plan held then — seats above its included
//! seats (`seats.used` at the close), and each billed metric above what it
//! includes. A promo code takes its discount off the sum of those lines, as
//! one negative line. A period wholly inside the trial has no lines at all.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use crm_kernel::{AppError, Timestamp};
use serde::{Deserialize, Serialize};

use crate::catalogue::Catalogue;
use crate::period::Period;
use crate::promo::PromoCode;
use crate::subscription::PlanSpan;
use crate::usage::Metric;

crm_kernel::named_enum! {
    /// Where an invoice stands.
    pub enum InvoiceStatus { Draft = "draft", Open = "open", Paid = "paid", Void = "void" }
}

impl InvoiceStatus {
    pub fn can_become(self, to: InvoiceStatus) -> bool {
        use InvoiceStatus::*;
        matches!((self, to), (Draft, Open) | (Draft, Void) | (Open, Paid) | (Open, Void))
    }

    pub fn become_(self, to: InvoiceStatus) -> Result<InvoiceStatus, AppError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(AppError::Rule { code: "INVALID_TRANSITION", message: format!("an invoice cannot go from {self} to {to}") })
        }
    }
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Line {
    /// The product it bills (`PLAN:DEVPRO`, `SEAT:ADDON`, `USAGE:SMS`, `DISCOUNT:PROMO`).
    pub product_code: String,
    pub description: String,
    pub quantity: i64,
    /// Minor units per unit.
    pub unit_amount: i64,
    /// `quantity × unit_amount`, or the prorated fee; negative for a discount.
    pub amount: i64,
    #[serde(default)]
    pub metadata: serde_json::Value,
}

/// What a closed period's invoice is drafted from.
pub struct Draft<'a> {
    pub catalogue: &'a Catalogue,
    pub period: Period,
    pub zone: Tz,
    /// The plans held, oldest first; the first one held at the period's start.
    pub spans: &'a [PlanSpan],
    /// When the trial ends (or ended), if there was one.
    pub trial_until: Option<Timestamp>,
    /// The period's counters.
    pub counters: &'a BTreeMap<Metric, i64>,
    /// The applied promo code, if it still discounts at the close.
    pub promo: Option<&'a PromoCode>,
}

/// `fee × days ÷ period_days`, rounded half up.
pub fn prorate(fee: i64, days: i64, period_days: i64) -> i64 {
    if period_days <= 0 {
        return 0;
    }
    (fee * days * 2 + period_days) / (2 * period_days)
}

impl Draft<'_> {
    /// The lines, in order: fees, add-on seats, overage, discount.
    pub fn lines(&self) -> Result<Vec<Line>, AppError> {
        let days = self.period.days();
        let free_until = self.trial_until.map(|t| self.period.day_of(t, self.zone)).unwrap_or(0);
        if free_until >= days {
            return Ok(Vec::new());
        }
        let plan_of = |code: &str| self.catalogue.plan(code).ok_or_else(|| AppError::internal(format!("unknown plan {code}")));
        let mut lines = Vec::new();
        // Each span's days: from its start day to the next span's.
        let starts: Vec<i64> = self.spans.iter().map(|s| self.period.day_of(s.from, self.zone)).collect();
        for (i, span) in self.spans.iter().enumerate() {
            let from = starts[i].max(free_until);
            let to = starts.get(i + 1).copied().unwrap_or(days);
            if to <= from {
                continue;
            }
            let plan = plan_of(&span.plan)?;
            let amount = prorate(plan.fee_minor, to - from, days);
            if plan.fee_minor == 0 {
                continue;
            }
            let description = if to - from == days {
                format!("{} plan, {}", plan.name, self.period.key())
            } else {
                format!("{} plan, {} of {} days of {}", plan.name, to - from, days, self.period.key())
            };
            lines.push(Line {
                product_code: plan.product.clone(),
                description,
                quantity: 1,
                unit_amount: amount,
                amount,
                metadata: serde_json::json!({ "plan": plan.code, "days": to - from, "period_days": days, "fee_minor": plan.fee_minor }),
            });
        }
        let at_close = plan_of(&self.spans.last().ok_or_else(|| AppError::internal("a subscription without a plan"))?.plan)?;
        let seats = self.counters.get(&Metric::SeatsUsed).copied().unwrap_or(0);
        if let (Some(price), addon @ 1..) = (at_close.seat_price_minor, at_close.addon_seats(seats)) {
            lines.push(Line {
                product_code: "SEAT:ADDON".into(),
                description: format!("{addon} seats beyond the {} included", at_close.included_seats),
                quantity: addon,
                unit_amount: price,
                amount: addon * price,
                metadata: serde_json::json!({ "seats_used": seats, "included": at_close.included_seats }),
            });
        }
        for (metric, price) in &at_close.usage {
            let used = Metric::parse(metric).and_then(|m| self.counters.get(&m)).copied().unwrap_or(0);
            let over = used - price.included;
            if over > 0 {
                lines.push(Line {
                    product_code: price.product.clone(),
                    description: format!("{over} {metric} beyond the {} included", price.included),
                    quantity: over,
                    unit_amount: price.unit_minor,
                    amount: over * price.unit_minor,
                    metadata: serde_json::json!({ "metric": metric, "used": used, "included": price.included }),
                });
            }
        }
        if let Some(promo) = self.promo {
            let off = promo.discount(total(&lines));
            if off > 0 {
                lines.push(Line {
                    product_code: "DISCOUNT:PROMO".into(),
                    description: format!("Promo code {}", promo.code),
                    quantity: 1,
                    unit_amount: -off,
                    amount: -off,
                    metadata: serde_json::json!({ "code": promo.code }),
                });
            }
        }
        Ok(lines)
    }
}

pub fn total(lines: &[Line]) -> i64 {
    lines.iter().map(|l| l.amount).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::catalogue;
    use crate::usage::{counters, UsageEvent, UsageSource};
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn span(plan: &str, from: &str) -> PlanSpan {
        PlanSpan { plan: plan.into(), from: ts(from) }
    }

    fn draft<'a>(spans: &'a [PlanSpan], counters: &'a BTreeMap<Metric, i64>, promo: Option<&'a PromoCode>) -> Draft<'a> {
        Draft {
            catalogue: catalogue(),
            period: Period::parse("2026-11").unwrap(),
            zone: Tz::UTC,
            spans,
            trial_until: None,
            counters,
            promo,
        }
    }

    #[test]
    fn invoice_transitions() {
        use InvoiceStatus::*;
        assert!(Draft.can_become(Open) && Open.can_become(Paid) && Open.can_become(Void) && Draft.can_become(Void));
        assert!(!Paid.can_become(Void) && !Void.can_become(Open) && !Draft.can_become(Paid));
        assert_eq!(Paid.become_(Open).unwrap_err().code(), "INVALID_TRANSITION");
    }

    #[test]
    fn a_whole_period_is_the_fee_and_a_change_splits_it_by_the_day() {
        let none = BTreeMap::new();
        let whole = [span("DevPro", "2026-10-03T09:00:00Z")];
        let lines = draft(&whole, &none, None).lines().unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!((lines[0].product_code.as_str(), lines[0].amount), ("PLAN:DEVPRO", 4999));
        // DevPro for 15 days of 30, then Business from 16 November.
        let changed = [span("DevPro", "2026-10-03T09:00:00Z"), span("Business", "2026-11-16T10:00:00Z")];
        let lines = draft(&changed, &none, None).lines().unwrap();
        let amounts: Vec<(&str, i64)> = lines.iter().map(|l| (l.product_code.as_str(), l.amount)).collect();
        // 4 999 × 15/30 = 2 499.5 → 2 500; 19 900 × 15/30 = 9 950.
        assert_eq!(amounts, [("PLAN:DEVPRO", 2500), ("PLAN:BUSINESS", 9950)]);
        assert_eq!(prorate(4999, 30, 30), 4999);
        assert_eq!(prorate(4999, 1, 31), 161);
    }

    #[test]
    fn seats_overage_and_a_discount() {
        let counters =
            BTreeMap::from([(Metric::SeatsUsed, 13), (Metric::SmsSent, 620), (Metric::WhatsappSent, 20), (Metric::EmailSent, 9_999)]);
        let promo = PromoCode {
            code: "TENOFF".into(),
            description: String::new(),
            discount_pct: Some(10),
            discount_amount_minor: None,
            is_active: true,
            valid_from: None,
            valid_to: None,
        };
        let spans = [span("DevPro", "2026-01-01T00:00:00Z")];
        let lines = draft(&spans, &counters, Some(&promo)).lines().unwrap();
        let got: Vec<(&str, i64, i64, i64)> =
            lines.iter().map(|l| (l.product_code.as_str(), l.quantity, l.unit_amount, l.amount)).collect();
        // 3 add-on seats at 9.00; 120 SMS above 500 at 0.05; 10 % of 8 299.
        assert_eq!(
            got,
            [("PLAN:DEVPRO", 1, 4999, 4999), ("SEAT:ADDON", 3, 900, 2700), ("USAGE:SMS", 120, 5, 600), ("DISCOUNT:PROMO", 1, -830, -830)]
        );
        assert_eq!(total(&lines), 7469);
    }

    #[test]
    fn trial_days_are_free() {
        let none = BTreeMap::from([(Metric::SeatsUsed, 12)]);
        let spans = [span("DevPro", "2026-11-01T00:00:00Z")];
        let mut d = draft(&spans, &none, None);
        d.trial_until = Some(ts("2026-12-02T00:00:00Z"));
        assert!(d.lines().unwrap().is_empty(), "a period inside the trial has no lines");
        d.trial_until = Some(ts("2026-11-11T00:00:00Z"));
        let lines = d.lines().unwrap();
        // 20 of 30 days: 3 332.67 → 3 333; and the 2 add-on seats.
        assert_eq!(lines.iter().map(|l| l.amount).collect::<Vec<_>>(), [3333, 1800]);
    }

    proptest! {
        /// A month of usage with duplicates, in any order, drafts exactly
        /// the lines of its distinct events.
        #[test]
        fn a_month_of_usage_drafts_exactly_its_lines(
            sms in 0usize..900, wa in 0usize..700, seats in 0i64..25, dup_every in 5usize..15, seed in any::<u64>(),
        ) {
            let day = |i: usize| ts(&format!("2026-11-{:02}T{:02}:00:00Z", 1 + i % 30, i % 24));
            let mut events: Vec<UsageEvent> = Vec::new();
            let mut push = |id: String, metric: Metric, q: i64, at: Timestamp| events.push(UsageEvent { id, metric, quantity: q, occurred_at: at, source: UsageSource::System, correlation_id: None, metadata: serde_json::Value::Null });
            for i in 0..sms { push(format!("sms{i}"), Metric::SmsSent, 1, day(i)); }
            for i in 0..wa { push(format!("wa{i}"), Metric::WhatsappSent, 1, day(i)); }
            for i in 0..seats { push(format!("seat{i}"), Metric::SeatsUsed, 1, ts("2026-10-01T00:00:00Z")); }
            let distinct = events.clone();
            let mut delivered = distinct.clone();
            delivered.extend(distinct.iter().step_by(dup_every).cloned());
            let mut state = seed | 1;
            for i in (1..delivered.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                delivered.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let c = counters(&delivered, ts("2026-11-01T00:00:00Z"), ts("2026-12-01T00:00:00Z"));
            let spans = [span("DevPro", "2026-01-01T00:00:00Z")];
            let lines = draft(&spans, &c, None).lines().unwrap();
            let mut expected = vec![("PLAN:DEVPRO".to_string(), 1, 4999)];
            if seats > 10 { expected.push(("SEAT:ADDON".into(), seats - 10, 900)); }
            if sms > 500 { expected.push(("USAGE:SMS".into(), sms as i64 - 500, 5)); }
            if wa > 500 { expected.push(("USAGE:WHATSAPP".into(), wa as i64 - 500, 4)); }
            let got: Vec<(String, i64, i64)> = lines.iter().map(|l| (l.product_code.clone(), l.quantity, l.unit_amount)).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
