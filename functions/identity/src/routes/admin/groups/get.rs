//! `GET /v1/admin/groups` — the tenant's groups by name (one key condition).

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Limit};
use crm_store::{item, keys, Index, Query};

use crate::group::{Group, GROUP};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let page = app.store.query(Query::index(t, Index::ByKind, keys::by_kind_pk(t, GROUP)).limit(Limit::max())).await?;
    let groups = page.items.into_iter().map(item::from_item::<Group>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::ok(groups))
}
