//! `POST /v1/ops/tenants/{id}/invoices/{invoiceId}/finalize|pay|void` — the
//! dev provider's invoice workflow (`draft → open → paid | void`), by the
//! operator. A Stripe tenant's invoices move only by Stripe's events.

use crm_billing::invoice::InvoiceStatus;
use crm_billing::subscription::Provider;
use crm_events::audit::AuditExt;
use crm_events::types;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;

use crate::App;

pub async fn finalize(app: &App, call: Call) -> Result<Reply, AppError> {
    act(app, call, InvoiceStatus::Open).await
}

pub async fn pay(app: &App, call: Call) -> Result<Reply, AppError> {
    act(app, call, InvoiceStatus::Paid).await
}

pub async fn void(app: &App, call: Call) -> Result<Reply, AppError> {
    act(app, call, InvoiceStatus::Void).await
}

async fn act(app: &App, call: Call, to: InvoiceStatus) -> Result<Reply, AppError> {
    let s = super::tenant(app, &call).await?;
    let invoice = crate::invoices::get(&app.store, s.tenant_id, &call.path("invoiceId")?).await?;
    if s.provider == Provider::Stripe {
        return Err(AppError::Refused { code: "PROVIDER_MANAGED", message: "a Stripe tenant's invoices move by Stripe's events".into() });
    }
    let mut next = invoice.clone();
    next.status = invoice.status.become_(to)?;
    let now = Timestamp::now();
    let event = match to {
        InvoiceStatus::Open => {
            next.finalized_at = Some(now);
            types::BILLING_INVOICE_FINALIZED
        }
        InvoiceStatus::Paid => {
            next.paid_at = Some(now);
            types::BILLING_INVOICE_PAID
        }
        _ => {
            next.voided_at = Some(now);
            types::BILLING_INVOICE_VOIDED
        }
    };
    next.version += 1;
    let tx = Tx::new()
        .put_if("invoice", next.to_item()?, Condition::version_is(invoice.version))
        .emit_audited(&crate::events::invoice(&next, event));
    app.store.transact(tx).await.map_err(|e| match e {
        crm_store::StoreError::ConditionFailed { .. } => AppError::Conflict("the invoice changed meanwhile; retry".into()),
        other => other.into(),
    })?;
    Ok(Reply::ok(next))
}
