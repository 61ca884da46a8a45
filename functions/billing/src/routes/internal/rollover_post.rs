//! `POST /v1/_billing/rollover {tenant_id}` — closes the tenant's periods
//! that have ended (each drafts its invoice and opens the next period), as
//! the hourly close does, now; a Stripe tenant's drafts then go to Stripe.
//! Nothing has ended: nothing changes.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};

use crate::invoices::Invoice;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    super::super::require_operator(app, &call)?;
    let body: super::ForTenant = call.json()?;
    let t = super::tenant(app, &body.tenant_id).await?;
    let drafted: Vec<Invoice> = crate::invoices::close_due(&app.store, t, Timestamp::now()).await?;
    crate::provider::finalize_drafts(app, t, &drafted).await?;
    Ok(Reply::ok(drafted))
}
