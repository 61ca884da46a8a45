//! Invoices: one per tenant and closed period, drafted by the invoicing
//! worker when the period closes in the tenant's time zone.
//!
//! Closing is idempotent: the invoice is written with a marker of its
//! period (`INVOICE_PERIOD#{period}`) and the subscription's move to the
//! next period, under the subscription's version, in one transaction. A
//! rerun for a closed period finds the subscription already past it and
//! changes nothing.

use crm_billing::invoice::{Draft, InvoiceStatus, Line};
use crm_billing::promo::PromoCode;
use crm_billing::subscription::{PlanSpan, SubscriptionStatus};
use crm_billing::usage::Metric;
use crm_billing::{catalogue, Period};
use crm_events::audit::AuditExt;
use crm_events::outbox::EmitExt;
use crm_events::types;
use crm_kernel::{AppError, Currency, EntityId, TenantId, Timestamp};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Query, Store, StoreError, Tx};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::subscription::Subscription;

/// An invoice (`invoices` with its `invoice_lines`), amounts in minor units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Invoice {
    pub id: EntityId,
    pub tenant_id: TenantId,
    /// The period it bills (`2026-11`), and its local dates.
    pub period: String,
    pub period_start: String,
    pub period_end: String,
    /// The period's instants in the zone it closed in (Stripe's item period).
    #[serde(default)]
    pub period_starts_at: Option<Timestamp>,
    #[serde(default)]
    pub period_ends_at: Option<Timestamp>,
    pub lines: Vec<Line>,
    pub total_amount: i64,
    pub currency: Currency,
    pub status: InvoiceStatus,
    pub provider_invoice_id: Option<String>,
    /// The provider's customer it was sent to (every retry sends the same).
    #[serde(default)]
    pub provider_customer_id: Option<String>,
    /// While a delivery sends it to the provider: until when (a lease, so two
    /// deliveries never send the same invoice at once).
    #[serde(default)]
    pub sending_until: Option<Timestamp>,
    /// Why the provider refused it (a request it will never accept), if it
    /// did; tenants see only that it was refused.
    #[serde(default)]
    pub provider_error: Option<String>,
    pub created_at: Timestamp,
    pub finalized_at: Option<Timestamp>,
    pub paid_at: Option<Timestamp>,
    pub voided_at: Option<Timestamp>,
    pub version: u64,
}

impl Invoice {
    pub fn key(t: TenantId, id: EntityId) -> crm_store::Key {
        keys::entity(t, "INVOICE", id)
    }

    /// Listed by period, newest first.
    pub fn to_item(&self) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?.with_index(
            Index::ByKind,
            keys::by_kind_pk(self.tenant_id, "INVOICE"),
            self.period.clone(),
        ))
    }
}

/// The marker that makes a period's invoice unique.
pub fn period_marker(t: TenantId, period: &str) -> crm_store::Key {
    keys::unique(t, "INVOICE_PERIOD", period)
}

/// The seats the tenant holds now: identity's seat counter, kept in the
/// same transaction as each user and invitation (what `users.max` holds).
pub async fn seats_held(store: &Store, t: TenantId) -> Result<i64, StoreError> {
    let usage = store.get(&keys::usage(t)).await?.unwrap_or_default();
    Ok(usage.num_attr("seats_used").unwrap_or(0))
}

/// The counters of `period` (flows) with the levels (`all`); `seats.used`
/// is the seats held ([`seats_held`]), the seat ledger's authority.
pub async fn counters(store: &Store, t: TenantId, period: &str) -> Result<BTreeMap<Metric, i64>, StoreError> {
    let mut out = BTreeMap::new();
    for p in [period, "all"] {
        let page = store.query(Query::table(t, keys::billing_counters_pk(t, p)).consistent()).await?;
        for it in page.items {
            if let (Some(m), Some(v)) = (it.str_attr("metric_code").and_then(Metric::parse), it.num_attr("value")) {
                out.insert(m, v);
            }
        }
    }
    out.insert(Metric::SeatsUsed, seats_held(store, t).await?);
    Ok(out)
}

/// The applied promo code, if it still discounts at `at`.
pub async fn promo_at(store: &Store, s: &Subscription, at: Timestamp) -> Result<Option<PromoCode>, StoreError> {
    let Some(applied) = &s.promo else { return Ok(None) };
    if applied.expires_at.is_some_and(|e| e <= at) {
        return Ok(None);
    }
    let code: Option<PromoCode> = store.get_as(&crate::promos::key(&applied.code)).await?;
    Ok(code.filter(|c| c.check(at).is_ok()))
}

/// The lines `s`'s open period would be invoiced for with `counters`.
pub fn draft_lines(s: &Subscription, counters: &BTreeMap<Metric, i64>, promo: Option<&PromoCode>) -> Result<Vec<Line>, AppError> {
    Draft { catalogue: catalogue(), period: s.open_period(), zone: s.zone(), spans: &s.spans, trial_until: s.trial_until, counters, promo }
        .lines()
}

/// Closes every period of tenant `t` that has ended by `now` (normally
/// one; more after an outage), each in its own transaction. Returns the
/// invoices drafted.
pub async fn close_due(store: &Store, t: TenantId, now: Timestamp) -> Result<Vec<Invoice>, AppError> {
    let mut drafted = Vec::new();
    for _ in 0..24 {
        let Some(s) = store.get_as::<Subscription>(&Subscription::key(t)).await? else { break };
        if s.status == SubscriptionStatus::Canceled || s.renews_at > now {
            break;
        }
        match close(store, &s, now).await {
            Ok(i) => drafted.push(i),
            // Another delivery closed it meanwhile: read it again.
            Err(AppError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(drafted)
}

async fn close(store: &Store, s: &Subscription, now: Timestamp) -> Result<Invoice, AppError> {
    let period = s.open_period();
    let closes_at = s.renews_at;
    let counters = counters(store, s.tenant_id, &period.key()).await?;
    let promo = promo_at(store, s, closes_at).await?;
    let lines = draft_lines(s, &counters, promo.as_ref())?;
    let invoice = Invoice {
        id: EntityId::new(),
        tenant_id: s.tenant_id,
        period: period.key(),
        period_start: period.start.to_string(),
        period_end: period.end.to_string(),
        period_starts_at: Some(period.starts_at(s.zone())),
        period_ends_at: Some(closes_at),
        total_amount: crm_billing::invoice::total(&lines),
        lines,
        currency: s.currency,
        status: InvoiceStatus::Draft,
        provider_invoice_id: None,
        provider_customer_id: None,
        sending_until: None,
        provider_error: None,
        created_at: now,
        finalized_at: None,
        paid_at: None,
        voided_at: None,
        version: 1,
    };
    let next = roll(s, period.next(), closes_at);
    let marker = item::to_item(&period_marker(s.tenant_id, &period.key()), &serde_json::json!({ "invoice_id": invoice.id }))?;
    let mut tx = Tx::new()
        .put_new("invoice_period", marker)
        .put_new("invoice", invoice.to_item()?)
        .emit_audited(&crate::events::invoice(&invoice, types::BILLING_INVOICE_DRAFTED));
    if next.status != s.status {
        tx = tx.emit(&crate::events::subscription_changed(&next, Some(s), "trial_ended"));
    }
    let tx = Subscription { version: s.version, ..next }.save(tx)?;
    match store.transact(tx).await {
        Ok(()) => Ok(invoice),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::Conflict("closed meanwhile".into())),
        Err(e) => Err(e.into()),
    }
}

/// The subscription in its next period: the plan held at the close carries
/// on, a trial that has ended makes it active.
pub fn roll(s: &Subscription, next: Period, closes_at: Timestamp) -> Subscription {
    let zone = s.zone();
    let held = s.spans.last().map(|p| p.plan.clone()).unwrap_or_else(|| s.plan.clone());
    let mut n = s.clone();
    n.period = next.key();
    n.spans = vec![PlanSpan { plan: held, from: closes_at }];
    n.renews_at = next.ends_at(zone);
    if s.status == SubscriptionStatus::Trial && s.trial_until.is_some_and(|t| t <= closes_at) {
        n.status = SubscriptionStatus::Active;
    }
    n.updated_at = closes_at;
    n
}

/// Invoices of `t`, newest period first.
pub async fn list(
    store: &Store,
    t: TenantId,
    limit: crm_kernel::Limit,
    cursor: Option<String>,
) -> Result<crm_store::Page<Invoice>, AppError> {
    let page = store.query(Query::index(t, Index::ByKind, keys::by_kind_pk(t, "INVOICE")).descending().limit(limit).after(cursor)).await?;
    let mut items = Vec::new();
    for it in page.items {
        items.push(item::from_item::<Invoice>(it)?);
    }
    Ok(crm_store::Page { items, next_cursor: page.next_cursor })
}

impl Invoice {
    /// As a tenant sees it: the provider's own refusal text stays with the operator.
    pub fn for_tenant(mut self) -> Self {
        if self.provider_error.is_some() {
            self.provider_error = Some("the payment provider refused this invoice; the operator has it".into());
        }
        self
    }
}

pub async fn get(store: &Store, t: TenantId, id: &str) -> Result<Invoice, AppError> {
    let id = EntityId::parse(id).map_err(|_| AppError::NotFound)?;
    store.get_as(&Invoice::key(t, id)).await?.ok_or(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subscription::Terms;

    #[test]
    fn a_close_rolls_the_plan_into_the_next_period_and_ends_a_trial() {
        let terms = Terms { trial_days: 14, grace_days: 7 };
        let s = Subscription::start(TenantId::new(), "DevPro", Timestamp::parse("2026-11-10T00:00:00Z").unwrap(), terms);
        let n = roll(&s, s.open_period().next(), s.renews_at);
        assert_eq!((n.period.as_str(), n.status), ("2026-12", SubscriptionStatus::Active), "the trial ended on 24 November");
        assert_eq!(n.spans, vec![PlanSpan { plan: "DevPro".into(), from: s.renews_at }]);
        let s = Subscription::start(TenantId::new(), "DevPro", Timestamp::parse("2026-11-25T00:00:00Z").unwrap(), terms);
        let n = roll(&s, s.open_period().next(), s.renews_at);
        assert_eq!(n.status, SubscriptionStatus::Trial, "the trial runs to 9 December");
        assert_eq!(roll(&n, n.open_period().next(), n.renews_at).status, SubscriptionStatus::Active);
    }
}
