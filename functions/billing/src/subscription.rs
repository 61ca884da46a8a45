//! A tenant's subscription, stored beside its record: load it (or the one a
//! tenant without a stored subscription implicitly has), save it under its
//! version, and keep the tenant's record in step (the plan the authorizer
//! builds entitlements from, and when dunning restricts it).

use chrono_tz::Tz;
use crm_billing::subscription::{PlanSpan, Provider, SubscriptionStatus};
use crm_billing::{catalogue, Period};
use crm_kernel::{AppError, Currency, TenantId, Timestamp};
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{item, keys, Index, Item, Store, StoreError, Tx};
use serde::{Deserialize, Serialize};

/// A promo code applied to the subscription (`subscription_discounts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AppliedPromo {
    pub code: String,
    pub applied_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

/// `tenant_subscription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Subscription {
    pub tenant_id: TenantId,
    /// The plan held now.
    pub plan: String,
    pub status: SubscriptionStatus,
    pub started_at: Timestamp,
    pub trial_until: Option<Timestamp>,
    /// The open period (`2026-11`) and the plans held in it.
    pub period: String,
    pub spans: Vec<PlanSpan>,
    /// When the open period closes (its invoice is drafted then).
    pub renews_at: Timestamp,
    pub canceled_at: Option<Timestamp>,
    pub provider: Provider,
    pub provider_customer_id: Option<String>,
    pub provider_sub_id: Option<String>,
    /// Since when a payment is overdue, and from when that restricts the tenant.
    pub past_due_since: Option<Timestamp>,
    pub restricted_from: Option<Timestamp>,
    pub grace_days: i64,
    pub currency: Currency,
    /// IANA zone the periods close in.
    pub time_zone: String,
    pub promo: Option<AppliedPromo>,
    /// The newest provider object time applied (Stripe's `created`): an
    /// older webhook never overwrites a newer state.
    #[serde(default)]
    pub provider_seen_at: i64,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// Settings a new subscription takes (`BILLING_TRIAL_DAYS`, `BILLING_GRACE_DAYS`).
#[derive(Debug, Clone, Copy)]
pub struct Terms {
    pub trial_days: i64,
    pub grace_days: i64,
}

impl Subscription {
    pub fn key(t: TenantId) -> crm_store::Key {
        keys::billing_subscription(t)
    }

    pub fn zone(&self) -> Tz {
        crm_kernel::time::parse_zone(&self.time_zone).unwrap_or(Tz::UTC)
    }

    pub fn open_period(&self) -> Period {
        Period::parse(&self.period).unwrap_or_else(|| Period::containing(self.updated_at, self.zone()))
    }

    /// A tenant's first subscription, on `plan` from `now`: a plan with a fee
    /// starts with the trial, a free one is active.
    pub fn start(t: TenantId, plan: &str, now: Timestamp, terms: Terms) -> Self {
        let p = catalogue().plan(plan).unwrap_or_else(|| catalogue().free());
        let zone = Tz::UTC;
        let period = Period::containing(now, zone);
        let trial = p.fee_minor > 0 && terms.trial_days > 0;
        Self {
            tenant_id: t,
            plan: p.code.clone(),
            status: if trial { SubscriptionStatus::Trial } else { SubscriptionStatus::Active },
            started_at: now,
            trial_until: trial.then(|| now.plus_seconds(terms.trial_days * 86_400)),
            period: period.key(),
            spans: vec![PlanSpan { plan: p.code.clone(), from: now }],
            renews_at: period.ends_at(zone),
            canceled_at: None,
            provider: Provider::Dev,
            provider_customer_id: None,
            provider_sub_id: None,
            past_due_since: None,
            restricted_from: None,
            grace_days: terms.grace_days,
            currency: catalogue().currency,
            time_zone: "UTC".into(),
            promo: None,
            provider_seen_at: 0,
            updated_at: now,
            version: 0,
        }
    }

    /// The subscription as it stands at `at`: a trial whose days have run
    /// out is active (its first payment can fail and start dunning).
    pub fn trial_ended_by(mut self, at: Timestamp) -> Self {
        if self.status == SubscriptionStatus::Trial && self.trial_until.is_some_and(|t| t <= at) {
            self.status = SubscriptionStatus::Active;
        }
        self
    }

    /// The item, listed by when its period closes unless it is canceled.
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let it = item::to_item(&Self::key(self.tenant_id), self)?;
        Ok(if self.status == SubscriptionStatus::Canceled {
            it
        } else {
            it.with_index(Index::ByKind, keys::BILLING_CLOSES, close_sort_key(self.renews_at, self.tenant_id))
        })
    }

    /// `self` changed: the next version, saved under the one read (or as new).
    pub fn save(&self, tx: Tx) -> Result<Tx, StoreError> {
        let mut next = self.clone();
        next.version += 1;
        let it = next.to_item()?;
        let tx = if self.version == 0 {
            tx.put_new("subscription", it)
        } else {
            tx.put_if("subscription", it, Condition::version_is(self.version))
        };
        Ok(crm_directory::billing_sync(tx, self.tenant_id, &self.plan, self.restricted_from))
    }

    /// A first subscription that takes the tenant's record as it stands:
    /// written alone (new), the record untouched.
    pub fn adopt(&self, tx: Tx) -> Result<Tx, StoreError> {
        Ok(tx.put_new("subscription", Subscription { version: 1, ..self.clone() }.to_item()?))
    }
}

/// The `by_kind` sort key of a subscription in [`keys::BILLING_CLOSES`].
pub fn close_sort_key(renews_at: Timestamp, t: TenantId) -> String {
    format!("{renews_at}#{t}")
}

/// Whether `sk` (of [`close_sort_key`]) is due at `now`.
pub fn due_prefix(now: Timestamp) -> String {
    format!("{now}#~")
}

/// The tenant's subscription; one never stored is the one its record
/// implies (its plan, active, from its creation), saved on its first change.
pub async fn load(store: &Store, t: TenantId, terms: Terms) -> Result<Subscription, AppError> {
    if let Some(s) = store.get_as::<Subscription>(&Subscription::key(t)).await? {
        return Ok(s);
    }
    let tenant = crm_directory::tenant(store, t).await?.ok_or(AppError::NotFound)?;
    let mut s = Subscription::start(t, &tenant.plan, Timestamp::now(), Terms { trial_days: 0, ..terms });
    s.restricted_from = tenant.restricted_from;
    Ok(s)
}

/// `409 CONFLICT` for a subscription changed meanwhile.
pub fn conflict(e: StoreError) -> AppError {
    match e {
        StoreError::ConditionFailed { .. } => AppError::Conflict("the subscription changed meanwhile; retry".into()),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paid_plan_starts_with_the_trial_and_a_free_one_is_active() {
        let now = Timestamp::parse("2026-11-20T10:00:00Z").unwrap();
        let terms = Terms { trial_days: 14, grace_days: 7 };
        let pro = Subscription::start(TenantId::new(), "DevPro", now, terms);
        assert_eq!(pro.status, SubscriptionStatus::Trial);
        assert_eq!(pro.trial_until, Some(Timestamp::parse("2026-12-04T10:00:00Z").unwrap()));
        assert_eq!((pro.period.as_str(), pro.renews_at), ("2026-11", Timestamp::parse("2026-12-01T00:00:00Z").unwrap()));
        let free = Subscription::start(TenantId::new(), "DevFree", now, terms);
        assert_eq!((free.status, free.trial_until), (SubscriptionStatus::Active, None));
        assert_eq!(Subscription::start(TenantId::new(), "nope", now, terms).plan, "DevFree");
    }

    #[test]
    fn a_trial_whose_days_ran_out_is_active() {
        let start = Timestamp::parse("2026-11-01T00:00:00Z").unwrap();
        let s = Subscription::start(TenantId::new(), "DevPro", start, Terms { trial_days: 14, grace_days: 7 });
        assert_eq!(s.clone().trial_ended_by(start.plus_seconds(13 * 86_400)).status, SubscriptionStatus::Trial);
        let ended = s.trial_ended_by(start.plus_seconds(14 * 86_400));
        assert_eq!(ended.status, SubscriptionStatus::Active);
        assert!(ended.status.can_become(SubscriptionStatus::PastDue), "its first failed payment starts dunning");
    }

    #[test]
    fn due_subscriptions_sort_before_the_prefix() {
        let t = TenantId::new();
        let at = Timestamp::parse("2026-12-01T00:00:00Z").unwrap();
        assert!(close_sort_key(at, t) <= due_prefix(at));
        assert!(close_sort_key(at.plus_seconds(1), t) > due_prefix(at));
    }
}
