//! Stripe's webhook events, as they change billing (`POST /v1/webhooks/stripe`).
//!
//! * The signature is checked first, over the raw body
//!   ([`crm_billing::signature`]); a bad one is `400` and changes nothing.
//! * The tenant is the one the event's **customer** belongs to, by the
//!   customer id billing stored when it created the customer. A
//!   `metadata[tenantId]` is only a claim: it is used when it names a tenant
//!   whose stored customer is that same customer.
//! * Each event is logged once by its id (`billing_webhook_logs`, kept 30
//!   days), in the same transaction as what it changes: a replay finds the
//!   log and changes nothing.
//! * Order: a subscription's state moves only on an event newer (by the
//!   event's `created`) than the last one applied; an invoice only moves
//!   forward (`draft → open → paid | void`).
//!
//! Mapping (M3CoreCRM App.A §3.3): `invoice.created` / `invoice.finalized`
//! → the local invoice `draft` / `open`; `invoice.paid` /
//! `invoice.payment_succeeded` → `paid`, and a past-due subscription active
//! again with access restored at once; `customer.subscription.updated` →
//! the subscription's status; `charge.failed` → `past_due`,
//! `billing.payment_failed`, the admins told (inbox and email).

use crm_billing::invoice::InvoiceStatus;
use crm_billing::subscription::SubscriptionStatus;
use crm_events::audit::AuditExt;
use crm_events::outbox::EmitExt;
use crm_events::{types, Actor, DomainEvent, Subject};
use crm_kernel::{AppError, TenantId, Timestamp};
use crm_store::item::ItemExt;
use crm_store::{item, keys, StoreError, Tx};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::invoices::Invoice;
use crate::subscription::Subscription;
use crate::App;

/// How long the raw log of an event is kept.
pub const LOG_RETENTION_SECS: i64 = 30 * 86_400;

/// A Stripe event (the fields billing reads).
#[derive(Debug, Clone, Deserialize)]
pub struct StripeEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created: i64,
    pub data: EventData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    pub object: Value,
}

/// What the webhook answers Stripe.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Received {
    pub id: String,
    /// The event was already processed: nothing changed.
    pub duplicate: bool,
    /// What it did: `applied`, `stale` (older than the state), `unmatched`
    /// (no tenant has its customer), `ignored` (a type billing does not use).
    pub outcome: String,
}

pub fn log_key(event_id: &str) -> crm_store::Key {
    keys::global_unique("STRIPE_EVENT", event_id)
}

pub fn customer_key(customer: &str) -> crm_store::Key {
    keys::global_unique("STRIPE_CUSTOMER", customer)
}

pub fn provider_invoice_key(id: &str) -> crm_store::Key {
    keys::global_unique("STRIPE_INVOICE", id)
}

/// Verifies and parses a delivery.
pub fn verify(app: &App, header: Option<&str>, raw: &[u8], now: Timestamp) -> Result<StripeEvent, AppError> {
    let secrets: Vec<&str> = app.stripe_webhook_secrets.iter().map(String::as_str).collect();
    if secrets.is_empty() {
        return Err(AppError::Unavailable("the Stripe webhook is not configured".into()));
    }
    crm_billing::signature::verify(header, raw, &secrets, now.unix_seconds(), crm_billing::signature::TOLERANCE_SECS)
        .map_err(|e| AppError::invalid("Stripe-Signature", e.message()))?;
    serde_json::from_slice(raw).map_err(|e| AppError::invalid("body", format!("not a Stripe event: {e}")))
}

/// The tenant an event is about, resolved from the stored customer id.
async fn tenant_of(app: &App, object: &Value) -> Result<Option<TenantId>, AppError> {
    let customer = object["customer"].as_str().or_else(|| (object["object"] == "customer").then(|| object["id"].as_str()).flatten());
    let Some(customer) = customer else { return Ok(None) };
    let owner = app.store.get(&customer_key(customer)).await?.and_then(|it| it.str_attr("tenant_id").and_then(|t| TenantId::parse(t).ok()));
    if let Some(t) = owner {
        return Ok(Some(t));
    }
    // A claim, checked: the named tenant's stored customer must be this one.
    let Some(claimed) = object["metadata"]["tenantId"].as_str().and_then(|t| TenantId::parse(t).ok()) else { return Ok(None) };
    let s: Option<Subscription> = app.store.get_as(&Subscription::key(claimed)).await?;
    Ok(s.filter(|s| s.provider_customer_id.as_deref() == Some(customer)).map(|_| claimed))
}

/// Applies a verified event once.
pub async fn apply(app: &App, e: &StripeEvent, raw: &[u8], now: Timestamp) -> Result<Received, AppError> {
    let received = |duplicate: bool, outcome: &str| Received { id: e.id.clone(), duplicate, outcome: outcome.into() };
    if let Some(logged) = app.store.get(&log_key(&e.id)).await? {
        // A failure applied before the admins were all told: told now (once
        // each). Only the store failing is worth Stripe's retry.
        if logged.str_attr("outcome") == Some("applied") {
            match notify(app, e, logged.str_attr("tenant_id")).await {
                Ok(()) => {}
                Err(e @ (AppError::Internal(_) | AppError::Conflict(_) | AppError::Unavailable(_))) => return Err(e),
                Err(other) => tracing::warn!(event = %e.id, error = %other, "a replayed failure's notices were not sent"),
            }
        }
        return Ok(received(true, "duplicate"));
    }
    let log = |outcome: &str, tenant: Option<TenantId>| {
        item::to_item(
            &log_key(&e.id),
            &json!({ "provider": "stripe", "event_type": e.kind, "received_at": now, "processed_at": now, "status_code": 200,
                     "outcome": outcome, "tenant_id": tenant, "raw": String::from_utf8_lossy(raw) }),
        )
        .map(|it| it.with_ttl(now.unix_seconds() + LOG_RETENTION_SECS))
    };
    let Some(t) = tenant_of(app, &e.data.object).await? else {
        app.store.transact(Tx::new().put_new("log", log("unmatched", None)?)).await.or_else(duplicate)?;
        return Ok(received(false, "unmatched"));
    };
    // A state changed meanwhile (a close, an operator's change) is read again.
    for attempt in 1..=3 {
        let s = crate::subscription::load(&app.store, t, app.terms).await?.trial_ended_by(at(e));
        let changes = match e.kind.as_str() {
            "invoice.created" => invoice_moved(app, t, e, None).await?,
            "invoice.finalized" => invoice_moved(app, t, e, Some(InvoiceStatus::Open)).await?,
            "invoice.paid" | "invoice.payment_succeeded" => paid(app, &s, e).await?,
            "customer.subscription.updated" => subscription_updated(&s, e)?,
            "charge.failed" | "invoice.payment_failed" => payment_failed(&s, e)?,
            _ => None,
        };
        let (outcome, tx) = match changes {
            Some(tx) if !tx.is_empty() => ("applied", tx),
            Some(_) => ("stale", Tx::new()),
            None if handled(&e.kind) => ("stale", Tx::new()),
            None => ("ignored", Tx::new()),
        };
        // The log first: a concurrent duplicate fails on it, and is told so.
        match app.store.transact(Tx::new().put_new("log", log(outcome, Some(t))?).merge(tx)).await {
            Ok(()) => {
                if outcome == "applied" {
                    // After the change: if this fails, Stripe's retry finds the log and tells them.
                    notify(app, e, Some(&t.to_string())).await?;
                }
                return Ok(received(false, outcome));
            }
            Err(StoreError::ConditionFailed { label }) if label == "log" => return Ok(received(true, "duplicate")),
            Err(StoreError::ConditionFailed { .. }) if attempt < 3 => continue,
            Err(StoreError::ConditionFailed { .. }) => break,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict("billing changed meanwhile; Stripe will retry".into()))
}

/// Logs a refused delivery (`billing_webhook_logs` with its `status_code`
/// and `error_message`), keyed by the body's digest; best effort: the
/// refusal is the answer whatever happens here.
pub async fn log_refusal(app: &App, raw: &[u8], e: &AppError, now: Timestamp) {
    let digest = crm_auth::opaque::sha256_hex(raw);
    let entry = item::to_item(
        &keys::global_unique("STRIPE_REFUSED", &digest),
        &json!({ "provider": "stripe", "received_at": now, "status_code": e.status(), "error_message": e.public_message(),
                 "raw": String::from_utf8_lossy(&raw[..raw.len().min(16_384)]) }),
    )
    .map(|it| it.with_ttl(now.unix_seconds() + LOG_RETENTION_SECS));
    match entry {
        Ok(it) => {
            if let Err(err) = app.store.put(it).await {
                tracing::warn!(error = %err, "a refused Stripe delivery was not logged");
            }
        }
        Err(err) => tracing::warn!(error = %err, "a refused Stripe delivery was not logged"),
    }
}

/// The admins' notices of an applied payment failure (idempotent per admin).
async fn notify(app: &App, e: &StripeEvent, tenant: Option<&str>) -> Result<(), AppError> {
    if !matches!(e.kind.as_str(), "charge.failed" | "invoice.payment_failed") {
        return Ok(());
    }
    let Some(t) = tenant.and_then(|t| TenantId::parse(t).ok()) else { return Ok(()) };
    let s = crate::subscription::load(&app.store, t, app.terms).await?;
    // Only while this very failure is the tenant's state (a payment since settles it).
    if s.status != SubscriptionStatus::PastDue || s.provider_seen_at != e.created {
        return Ok(());
    }
    crate::notices::payment_failed(&app.store, &s, &e.id).await
}

fn duplicate(e: StoreError) -> Result<(), StoreError> {
    match e {
        StoreError::ConditionFailed { .. } => Ok(()),
        other => Err(other),
    }
}

fn handled(kind: &str) -> bool {
    matches!(
        kind,
        "invoice.created"
            | "invoice.finalized"
            | "invoice.paid"
            | "invoice.payment_succeeded"
            | "customer.subscription.updated"
            | "charge.failed"
            | "invoice.payment_failed"
    )
}

/// The local invoice of a Stripe invoice: by the id stored when it was
/// finalised through the adapter, or its `metadata[invoiceId]` checked
/// against the tenant.
async fn local_invoice(app: &App, t: TenantId, object: &Value) -> Result<Option<Invoice>, AppError> {
    let by_provider = match object["id"].as_str() {
        Some(id) => app.store.get(&provider_invoice_key(id)).await?.and_then(|it| it.str_attr("invoice_id").map(str::to_string)),
        None => None,
    };
    let Some(id) = by_provider.or_else(|| object["metadata"]["invoiceId"].as_str().map(str::to_string)) else { return Ok(None) };
    match crate::invoices::get(&app.store, t, &id).await {
        Ok(i) => Ok(Some(i)),
        Err(AppError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn invoice_moved(app: &App, t: TenantId, e: &StripeEvent, to: Option<InvoiceStatus>) -> Result<Option<Tx>, AppError> {
    let Some(mut i) = local_invoice(app, t, &e.data.object).await? else { return Ok(None) };
    let read = i.version;
    let pid = e.data.object["id"].as_str().map(str::to_string);
    let mut tx = Tx::new();
    let mut changed = false;
    if i.provider_invoice_id.is_none() && pid.is_some() {
        i.provider_invoice_id = pid.clone();
        changed = true;
    }
    if let Some(to) = to.filter(|to| i.status.can_become(*to)) {
        i.status = to;
        i.finalized_at = Some(at(e));
        tx = tx.emit_audited(&crate::events::invoice(&i, types::BILLING_INVOICE_FINALIZED));
        changed = true;
    }
    if !changed {
        return Ok(None);
    }
    i.version += 1;
    Ok(Some(tx.put_if("invoice", i.to_item()?, crm_store::tx::Condition::version_is(read))))
}

fn at(e: &StripeEvent) -> Timestamp {
    Timestamp::from_datetime(chrono::DateTime::from_timestamp(e.created, 0).unwrap_or_default())
}

async fn paid(app: &App, s: &Subscription, e: &StripeEvent) -> Result<Option<Tx>, AppError> {
    let mut tx = Tx::new();
    if let Some(mut i) = local_invoice(app, s.tenant_id, &e.data.object).await? {
        if i.status == InvoiceStatus::Draft {
            i.status = InvoiceStatus::Open;
        }
        if i.status.can_become(InvoiceStatus::Paid) {
            let read = i.version;
            i.status = InvoiceStatus::Paid;
            i.paid_at = Some(at(e));
            i.version += 1;
            tx = tx.emit_audited(&crate::events::invoice(&i, types::BILLING_INVOICE_PAID)).put_if(
                "invoice",
                i.to_item()?,
                crm_store::tx::Condition::version_is(read),
            );
        }
    }
    // Access comes back at once — unless a newer failure came first (an
    // older invoice's payment does not settle a newer failed charge). In the
    // same second (Stripe's `created` counts seconds) the payment wins.
    if e.created < s.provider_seen_at {
        return Ok(Some(tx));
    }
    let mut next = s.clone();
    next.provider_seen_at = e.created;
    if s.status == SubscriptionStatus::PastDue {
        next.status = s.status.become_(SubscriptionStatus::Active)?;
        next.past_due_since = None;
        next.restricted_from = None;
        next.updated_at = at(e);
        tx = tx.emit_audited(&crate::events::subscription_changed(&next, Some(s), "paid"));
    }
    Ok(Some(next.save(tx)?))
}

/// Stripe's subscription status, in ours (`None`: no change of ours).
pub fn status_of(stripe: &str) -> Option<SubscriptionStatus> {
    match stripe {
        "trialing" => Some(SubscriptionStatus::Trial),
        "active" => Some(SubscriptionStatus::Active),
        "past_due" | "unpaid" => Some(SubscriptionStatus::PastDue),
        "canceled" | "incomplete_expired" => Some(SubscriptionStatus::Canceled),
        _ => None,
    }
}

fn subscription_updated(s: &Subscription, e: &StripeEvent) -> Result<Option<Tx>, AppError> {
    if e.created <= s.provider_seen_at {
        return Ok(Some(Tx::new()));
    }
    let Some(to) = e.data.object["status"].as_str().and_then(status_of) else { return Ok(Some(Tx::new())) };
    if to == s.status || !s.status.can_become(to) {
        return Ok(Some(Tx::new()));
    }
    let mut next = s.clone();
    next.status = to;
    next.provider_seen_at = e.created;
    next.provider_sub_id = e.data.object["id"].as_str().map(str::to_string).or(next.provider_sub_id);
    next.updated_at = at(e);
    match to {
        SubscriptionStatus::PastDue => {
            next.past_due_since = Some(at(e));
            next.restricted_from = Some(crm_billing::dunning::restricted_from(at(e), s.grace_days));
        }
        SubscriptionStatus::Canceled => {
            // Nothing is paid for any more: the tenant keeps the free plan.
            next.canceled_at = Some(at(e));
            let free = crm_billing::catalogue().free().code.clone();
            next.spans.push(crm_billing::subscription::PlanSpan { plan: free.clone(), from: at(e) });
            next.plan = free;
            next.past_due_since = None;
            next.restricted_from = None;
        }
        _ => {
            next.past_due_since = None;
            next.restricted_from = None;
        }
    }
    Ok(Some(next.save(Tx::new().emit_audited(&crate::events::subscription_changed(&next, Some(s), "provider")))?))
}

fn payment_failed(s: &Subscription, e: &StripeEvent) -> Result<Option<Tx>, AppError> {
    if e.created <= s.provider_seen_at || !s.status.can_become(SubscriptionStatus::PastDue) {
        return Ok(Some(Tx::new()));
    }
    let failed_at = at(e);
    let mut next = s.clone();
    next.status = SubscriptionStatus::PastDue;
    next.past_due_since = Some(failed_at);
    next.restricted_from = Some(crm_billing::dunning::restricted_from(failed_at, s.grace_days));
    next.provider_seen_at = e.created;
    next.updated_at = failed_at;
    let o = &e.data.object;
    let failure = DomainEvent::new(
        s.tenant_id,
        types::BILLING_PAYMENT_FAILED,
        Actor::system(),
        Subject { kind: "subscription".into(), id: s.tenant_id.to_string() },
        json!({ "provider": "stripe", "provider_event_id": e.id, "failure_code": o["failure_code"], "failure_message": o["failure_message"],
                "amount": o["amount"].as_i64().or(o["amount_due"].as_i64()), "currency": o["currency"], "restricted_from": next.restricted_from }),
    );
    let tx = Tx::new().emit_audited(&failure).emit(&crate::events::subscription_changed(&next, Some(s), "payment_failed"));
    Ok(Some(next.save(tx)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_statuses_in_ours() {
        assert_eq!(status_of("trialing"), Some(SubscriptionStatus::Trial));
        assert_eq!(status_of("unpaid"), Some(SubscriptionStatus::PastDue));
        assert_eq!(status_of("incomplete"), None);
        assert_eq!(status_of("canceled"), Some(SubscriptionStatus::Canceled));
    }
}
