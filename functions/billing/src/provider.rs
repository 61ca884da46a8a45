//! Billing's side of the provider: a Stripe tenant's drafted invoices are
//! finalised through the adapter ([`crate::stripe`]) after their period
//! closes, and the local invoice takes Stripe's id and `open`.
//!
//! Each step is idempotent: the adapter's idempotency keys make a retried
//! finalisation the same Stripe invoice; the local update is conditional on
//! the invoice's version, and a webhook that got there first
//! (`invoice.finalized` names our `metadata[invoiceId]`) leaves nothing to do.
//! A refusal Stripe will repeat (a 4xx) is kept on the invoice
//! (`provider_error`) for the operator instead of being retried for ever.

use crm_billing::invoice::InvoiceStatus;
use crm_billing::subscription::Provider;
use crm_events::audit::AuditExt;
use crm_events::types;
use crm_kernel::{AppError, Limit, TenantId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{item, StoreError, Tx};

use crate::invoices::Invoice;
use crate::subscription::Subscription;
use crate::App;

/// Finalises tenant `t`'s drafted invoices on Stripe, if it bills there.
pub async fn finalize_drafts(app: &App, t: TenantId) -> Result<usize, AppError> {
    let Some(s) = app.store.get_as::<Subscription>(&Subscription::key(t)).await? else { return Ok(0) };
    let (Provider::Stripe, Some(customer)) = (s.provider, s.provider_customer_id.clone()) else { return Ok(0) };
    let Some(stripe) = app.stripe.as_ref() else {
        return Err(AppError::Unavailable("a Stripe tenant's invoice waits: STRIPE_API_KEY is not configured".into()));
    };
    let recent = crate::invoices::list(&app.store, t, Limit::parse(Some("12"))?, None).await?;
    let mut done = 0;
    for invoice in recent.items.into_iter().filter(|i| i.status == InvoiceStatus::Draft && i.total_amount > 0 && i.provider_error.is_none())
    {
        let zone = s.zone();
        let period = crm_billing::Period::parse(&invoice.period).ok_or_else(|| AppError::internal("an invoice of no period"))?;
        let span = (period.starts_at(zone).unix_seconds(), period.ends_at(zone).unix_seconds() - 1);
        match stripe.finalize(&customer, &invoice, span).await {
            Ok(stripe_id) => {
                mark_finalized(app, invoice, &stripe_id).await?;
                done += 1;
            }
            // Retried with the message (429, 409, 5xx, the network).
            Err(e) if e.retryable => {
                tracing::warn!(invoice = %invoice.id, error = %e, "Stripe finalisation failed; retried");
                return Err(AppError::Unavailable(e.to_string()));
            }
            // A request Stripe will never accept: kept on the invoice for the operator, not retried.
            Err(e) => {
                tracing::error!(invoice = %invoice.id, error = %e, "Stripe refused the invoice");
                let mut refused = invoice.clone();
                refused.provider_error = Some(e.to_string());
                refused.version += 1;
                let tx = Tx::new().put_if("invoice", refused.to_item()?, Condition::version_is(invoice.version));
                match app.store.transact(tx).await {
                    Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(done)
}

async fn mark_finalized(app: &App, invoice: Invoice, stripe_id: &str) -> Result<(), AppError> {
    let lookup = item::to_item(
        &crate::stripe_events::provider_invoice_key(stripe_id),
        &serde_json::json!({ "tenant_id": invoice.tenant_id, "invoice_id": invoice.id }),
    )?;
    let mut next = invoice.clone();
    next.status = InvoiceStatus::Open;
    next.provider_invoice_id = Some(stripe_id.to_string());
    next.finalized_at = Some(Timestamp::now());
    next.version += 1;
    let tx = Tx::new()
        .put("lookup", lookup.clone())
        .put_if("invoice", next.to_item()?, Condition::version_is(invoice.version))
        .emit_audited(&crate::events::invoice(&next, types::BILLING_INVOICE_FINALIZED));
    match app.store.transact(tx).await {
        Ok(()) => Ok(()),
        // The webhook moved it first: keep its state, and the lookup.
        Err(StoreError::ConditionFailed { .. }) => Ok(app.store.put(lookup).await?),
        Err(e) => Err(e.into()),
    }
}
