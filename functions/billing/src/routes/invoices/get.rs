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
    let items: Vec<_> = page.items.into_iter().map(crate::invoices::Invoice::for_tenant).collect();
    Ok(Reply::list(items, limit, page.next_cursor))
}
