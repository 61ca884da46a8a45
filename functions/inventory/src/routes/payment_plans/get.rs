//! `GET /v1/payment-plans` — the tenant's payment plans by name.

use crm_http::{Call, Reply};
use crm_inventory::payment_plan::{PaymentPlan, PAYPLAN};
use crm_kernel::AppError;
use crm_store::{item, keys, Index, Query};

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let (limit, cursor) = call.page()?;
    let page = app.store.query(Query::index(t, Index::ByKind, keys::by_kind_pk(t, PAYPLAN)).limit(limit).after(cursor)).await?;
    let plans: Vec<PaymentPlan> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    Ok(Reply::list(plans, limit, page.next_cursor))
}
