//! `GET /v1/billing/invoices` — the tenant's invoices, newest period first.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoicesQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let _: InvoicesQuery = call.query_as()?;
    let (limit, cursor) = call.page()?;
    let page = crate::invoices::list(&app.store, call.principal()?.tenant_id, limit, cursor).await?;
    Ok(Reply::list(page.items, limit, page.next_cursor))
}
