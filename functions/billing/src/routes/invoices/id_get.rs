//! `GET /v1/billing/invoices/{id}` — one invoice with its lines; another
//! tenant's is `404`.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    Ok(Reply::ok(crate::invoices::get(&app.store, call.principal()?.tenant_id, &call.path("id")?).await?.for_tenant()))
}
