//! `PUT /v1/ops/tenants/{id}/billing` — the operator sets a tenant's billing
//! settings: the time zone its periods close in, its currency, the grace
//! after a failed payment, and its provider (`dev`, or `stripe` with the
//! customer id). A change of grace moves a pending restriction with it.

use crm_billing::subscription::Provider;
use crm_http::{Call, Reply};
use crm_kernel::fields::Input;
use crm_kernel::{AppError, Currency, FieldError, Timestamp};
use crm_store::{item, Tx};

use crate::subscription::Subscription;
use crate::view::PlanView;
use crate::App;

#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BillingSettings {
    /// IANA zone (`Africa/Cairo`); takes effect from the next period.
    pub time_zone: Input<String>,
    pub currency: Input<String>,
    /// 0 to 60 days.
    pub grace_days: Input<i64>,
    pub provider: Input<String>,
    /// Stripe's customer id (`cus_…`), with `provider: stripe`.
    pub provider_customer_id: Input<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let s = super::tenant(app, &call).await?;
    let body: BillingSettings = call.json()?;
    let mut next = s.clone();
    let mut errors = Vec::new();
    match body.time_zone {
        Input::Given(z) if crm_kernel::time::parse_zone(&z).is_some() => next.time_zone = z,
        Input::Absent => {}
        _ => errors.push(FieldError::new("time_zone", "an IANA time zone")),
    }
    match body.currency {
        Input::Given(c) => match Currency::parse(&c) {
            Ok(c) => next.currency = c,
            Err(_) => errors.push(FieldError::new("currency", "an ISO 4217 code")),
        },
        Input::Absent => {}
        _ => errors.push(FieldError::new("currency", "an ISO 4217 code")),
    }
    match body.grace_days {
        Input::Given(d) if (0..=60).contains(&d) => next.grace_days = d,
        Input::Absent => {}
        _ => errors.push(FieldError::new("grace_days", "from 0 to 60")),
    }
    match body.provider {
        Input::Given(p) => match Provider::parse(&p) {
            Some(p) => next.provider = p,
            None => errors.push(FieldError::new("provider", "dev or stripe")),
        },
        Input::Absent => {}
        _ => errors.push(FieldError::new("provider", "dev or stripe")),
    }
    let customer = match body.provider_customer_id {
        Input::Given(c) if c.starts_with("cus_") && c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') => Some(c),
        Input::Absent => None,
        _ => {
            errors.push(FieldError::new("provider_customer_id", "a Stripe customer id (cus_…)"));
            None
        }
    };
    if next.provider == Provider::Stripe && customer.is_none() && next.provider_customer_id.is_none() {
        errors.push(FieldError::new("provider_customer_id", "is required with provider stripe"));
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let mut tx = Tx::new();
    if let Some(c) = customer {
        // The customer is this tenant's alone: the webhook finds the tenant by it.
        let owner = item::to_item(&crate::stripe_events::customer_key(&c), &serde_json::json!({ "tenant_id": s.tenant_id }))?;
        tx = tx.put_if(
            "customer",
            owner,
            crm_store::tx::Condition::new("attribute_not_exists(#pk) OR tenant_id = :t")
                .name("#pk", crm_store::keys::PK)
                .value(":t", crm_store::AttributeValue::S(s.tenant_id.to_string())),
        );
        next.provider_customer_id = Some(c);
    }
    if let Some(since) = next.past_due_since {
        next.restricted_from = Some(crm_billing::dunning::restricted_from(since, next.grace_days));
    }
    next.updated_at = Timestamp::now();
    match app.store.transact(next.save(tx)?).await {
        Err(crm_store::StoreError::ConditionFailed { label }) if label == "customer" => {
            Err(AppError::invalid("provider_customer_id", "belongs to another tenant"))
        }
        other => other.map_err(crate::subscription::conflict),
    }?;
    Ok(Reply::ok(PlanView::of(Subscription { version: s.version + 1, ..next })))
}
