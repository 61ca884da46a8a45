//! Billing's side of the provider: a Stripe tenant's drafted invoices go to
//! Stripe after their period closes, and the local invoice takes Stripe's id
//! and `open`.
//!
//! Each step is recorded before the next, so a retry (the SQS message, or
//! next month's close) resumes where the last attempt stopped, however long
//! after — never relying on Stripe's 24-hour idempotency keys alone:
//!
//! 1. Stripe's draft is created (`auto_advance=false`: it waits for us) and
//!    its id, with the customer it was made for, is saved on our invoice at
//!    once. An invoice with an id is never created again.
//! 2. The lines Stripe's draft does not hold yet (each item names its line)
//!    are added, then it is finalised (`auto_advance=true`: Stripe collects).
//! 3. Our invoice becomes `open` (read again on a conflict: the webhook's
//!    `invoice.created` or `invoice.finalized` may have moved it first).
//!
//! Every request of a retry carries what the first one did: the customer and
//! the period instants are the invoice's own, fixed at the close. A 4xx that
//! Stripe will repeat is kept on the invoice (`provider_error`) for the
//! operator; a bad key, 429, 409, 5xx or the network is retried.

use crm_billing::invoice::InvoiceStatus;
use crm_billing::subscription::Provider;
use crm_events::audit::AuditExt;
use crm_events::types;
use crm_kernel::{AppError, EntityId, Limit, TenantId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{item, StoreError, Tx};

use crate::invoices::Invoice;
use crate::stripe::{Stripe, StripeError};
use crate::subscription::Subscription;
use crate::App;

/// Sends tenant `t`'s drafted invoices to Stripe, if it bills there:
/// `fresh` (just drafted: the index may not list them yet) and the recent
/// drafts the index lists.
pub async fn finalize_drafts(app: &App, t: TenantId, fresh: &[Invoice]) -> Result<usize, AppError> {
    let Some(s) = app.store.get_as::<Subscription>(&Subscription::key(t)).await? else { return Ok(0) };
    let (Provider::Stripe, Some(customer)) = (s.provider, s.provider_customer_id.clone()) else { return Ok(0) };
    let Some(stripe) = app.stripe.as_ref() else {
        return Err(AppError::Unavailable("a Stripe tenant's invoice waits: STRIPE_API_KEY is not configured".into()));
    };
    let listed = crate::invoices::list(&app.store, t, Limit::parse(Some("12"))?, None).await?.items;
    let mut ids: Vec<EntityId> = fresh.iter().map(|i| i.id).collect();
    ids.extend(listed.iter().map(|i| i.id).filter(|id| !fresh.iter().any(|f| f.id == *id)));
    let mut done = 0;
    for id in ids {
        // Read now (consistently): the webhook may have moved it meanwhile.
        let Some(invoice) = app.store.get_as::<Invoice>(&Invoice::key(t, id)).await? else { continue };
        if invoice.status != InvoiceStatus::Draft || invoice.total_amount <= 0 || invoice.provider_error.is_some() {
            continue;
        }
        // A lease: two deliveries (the fan-out can deliver twice) never send
        // the same invoice at once; the loser is retried with its message.
        let now = Timestamp::now();
        let Some(leased) = lease(app, invoice.clone(), now).await? else {
            return Err(AppError::Unavailable(format!("invoice {} is being sent by another delivery", invoice.id)));
        };
        let zone = s.zone();
        let held = leased.clone();
        match send(app, stripe, leased, &customer, zone).await {
            Ok(()) => done += 1,
            Err(e) if e.retryable => {
                tracing::warn!(invoice = %invoice.id, status = e.status, "Stripe finalisation failed; retried");
                // Its lease goes, so the retry need not wait it out.
                saved_with(app, held, |i| i.sending_until = None).await.ok();
                return Err(AppError::Unavailable(e.to_string()));
            }
            Err(e) => {
                tracing::error!(invoice = %invoice.id, status = e.status, "Stripe refused the invoice; kept for the operator");
                refused(app, &invoice, &e).await?;
            }
        }
    }
    Ok(done)
}

/// Takes the invoice's sending lease (5 minutes) if it is still a draft and
/// no other delivery holds it.
async fn lease(app: &App, invoice: Invoice, now: Timestamp) -> Result<Option<Invoice>, AppError> {
    if invoice.status != InvoiceStatus::Draft || invoice.sending_until.is_some_and(|u| u > now) {
        return Ok(None);
    }
    let mut next = invoice.clone();
    next.sending_until = Some(now.plus_seconds(300));
    next.version += 1;
    match app.store.transact(Tx::new().put_if("invoice", next.to_item()?, Condition::version_is(invoice.version))).await {
        Ok(()) => Ok(Some(next)),
        Err(StoreError::ConditionFailed { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn send(app: &App, stripe: &Stripe, invoice: Invoice, customer: &str, zone: chrono_tz::Tz) -> Result<(), StripeError> {
    let store_error = |e: AppError| StripeError { retryable: true, status: 0, detail: e.to_string() };
    let (invoice, stripe_id) = match invoice.provider_invoice_id.clone() {
        Some(id) => (invoice, id),
        None => {
            let id = stripe.create_invoice(customer, &invoice).await?;
            let saved = saved_with(app, invoice, |i| {
                i.provider_invoice_id.get_or_insert(id.clone());
                i.provider_customer_id.get_or_insert(customer.to_string());
            })
            .await
            .map_err(store_error)?;
            // The id saved wins (the webhook's `invoice.created` may have saved it first).
            let id = saved.provider_invoice_id.clone().unwrap_or(id);
            (saved, id)
        }
    };
    let customer = invoice.provider_customer_id.clone().unwrap_or_else(|| customer.to_string());
    // Drafted before the invoice kept its instants: its period in the zone.
    let fallback = crm_billing::Period::parse(&invoice.period);
    let period = (
        invoice.period_starts_at.or(fallback.map(|p| p.starts_at(zone))).map(|t| t.unix_seconds()).unwrap_or_default(),
        invoice.period_ends_at.or(fallback.map(|p| p.ends_at(zone))).map(|t| t.unix_seconds() - 1).unwrap_or_default(),
    );
    stripe.complete(&customer, &stripe_id, &invoice, period).await?;
    opened(app, invoice, &stripe_id).await.map_err(store_error)
}

/// `change` applied to the invoice and saved under its version, read again
/// on a conflict (the webhook writes it too).
async fn saved_with(app: &App, mut invoice: Invoice, change: impl Fn(&mut Invoice)) -> Result<Invoice, AppError> {
    for _ in 0..5 {
        let read = invoice.version;
        let mut next = invoice.clone();
        change(&mut next);
        if next == invoice {
            return Ok(invoice);
        }
        next.version += 1;
        match app.store.transact(Tx::new().put_if("invoice", next.to_item()?, Condition::version_is(read))).await {
            Ok(()) => return Ok(next),
            Err(StoreError::ConditionFailed { .. }) => {
                invoice = app.store.get_as(&Invoice::key(invoice.tenant_id, invoice.id)).await?.ok_or(AppError::NotFound)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict("the invoice keeps changing".into()))
}

/// Our invoice `open` with Stripe's id, and the lookup the webhook finds it by.
async fn opened(app: &App, mut invoice: Invoice, stripe_id: &str) -> Result<(), AppError> {
    let lookup = item::to_item(
        &crate::stripe_events::provider_invoice_key(stripe_id),
        &serde_json::json!({ "tenant_id": invoice.tenant_id, "invoice_id": invoice.id }),
    )?;
    for _ in 0..5 {
        if invoice.status != InvoiceStatus::Draft {
            // The webhook moved it first.
            return Ok(app.store.put(lookup).await?);
        }
        let mut next = invoice.clone();
        next.status = InvoiceStatus::Open;
        next.provider_invoice_id = Some(stripe_id.to_string());
        next.finalized_at = Some(Timestamp::now());
        next.sending_until = None;
        next.version += 1;
        let tx = Tx::new()
            .put("lookup", lookup.clone())
            .put_if("invoice", next.to_item()?, Condition::version_is(invoice.version))
            .emit_audited(&crate::events::invoice(&next, types::BILLING_INVOICE_FINALIZED));
        match app.store.transact(tx).await {
            Ok(()) => return Ok(()),
            Err(StoreError::ConditionFailed { .. }) => {
                invoice = app.store.get_as(&Invoice::key(invoice.tenant_id, invoice.id)).await?.ok_or(AppError::NotFound)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict("the invoice keeps changing".into()))
}

async fn refused(app: &App, invoice: &Invoice, e: &StripeError) -> Result<(), AppError> {
    let detail = e.to_string();
    // Only a draft is refused (an invoice already open was sent).
    saved_with(app, invoice.clone(), |i| {
        if i.status == InvoiceStatus::Draft {
            i.provider_error = Some(detail.clone());
            i.sending_until = None;
        }
    })
    .await
    .map(|_| ())
}
