//! `PUT /v1/ops/tenants/{id}/billing` — the operator sets a tenant's billing
//! settings: the time zone its periods close in, its currency, the grace
//! after a failed payment, and its provider (`dev`, or `stripe`: with the
//! customer id, or one the adapter creates). A change of grace moves a
//! pending restriction with it.

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
    /// IANA zone (`Africa/Cairo`): the open period closes at its end there.
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
        Input::Given(z) if crm_kernel::time::parse_zone(&z).is_some() => {
            next.time_zone = z;
            // The open period closes at its end in the new zone.
            next.renews_at = next.open_period().ends_at(next.zone());
        }
        Input::Absent => {}
        _ => errors.push(FieldError::new("time_zone", "an IANA time zone")),
    }
    match body.currency {
        // Prices exist in the catalogue's currency only: amounts in another
        // would be mislabelled (minor units differ by currency).
        Input::Given(c) => match Currency::parse(&c) {
            Ok(c) if c == crm_billing::catalogue().currency => next.currency = c,
            _ => errors
                .push(FieldError::new("currency", format!("{} (the catalogue's prices are in it)", crm_billing::catalogue().currency))),
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
    let needs_customer = next.provider == Provider::Stripe && customer.is_none() && next.provider_customer_id.is_none();
    if needs_customer && app.stripe.is_none() {
        errors.push(FieldError::new(
            "provider_customer_id",
            "is required with provider stripe (the Stripe adapter is not configured to create one)",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    // ensureCustomer: the adapter creates the tenant's customer (once: its
    // idempotency key is the tenant's).
    let customer = match (customer, app.stripe.as_ref()) {
        (Some(c), _) => Some(c),
        (None, Some(stripe)) if needs_customer => {
            let tenant = crm_directory::tenant(&app.store, s.tenant_id).await?.ok_or(AppError::NotFound)?;
            // Stripe mails its receipts to the first billing admin.
            let admin = match crate::notices::billing_admins(&app.store, s.tenant_id).await?.first() {
                Some(id) => crm_directory::get(&app.store, s.tenant_id, *id).await?.map(|u| u.email),
                None => None,
            };
            let created = stripe
                .create_customer(s.tenant_id, &tenant.name, admin.as_deref())
                .await
                .map_err(|e| AppError::Unavailable(e.to_string()))?;
            Some(created)
        }
        _ => None,
    };
    let mut tx = Tx::new();
    if let Some(c) = customer {
        // The customer is this tenant's alone: the webhook finds the tenant by it.
        let owner = item::to_item(&crate::stripe_events::customer_key(&c), &serde_json::json!({ "tenant_id": s.tenant_id }))?;
        let mine = || {
            crm_store::tx::Condition::new("attribute_not_exists(#pk) OR tenant_id = :t")
                .name("#pk", crm_store::keys::PK)
                .value(":t", crm_store::AttributeValue::S(s.tenant_id.to_string()))
        };
        tx = tx.put_if("customer", owner, mine());
        // A replaced customer no longer leads here.
        if let Some(old) = s.provider_customer_id.as_ref().filter(|old| **old != c) {
            tx = tx.delete("old_customer", &crate::stripe_events::customer_key(old), Some(mine()));
        }
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
