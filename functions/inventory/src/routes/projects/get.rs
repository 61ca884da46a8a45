//! `GET /v1/projects` — the tenant's projects by name, cursor paginated.

use crm_http::{Call, Reply};
use crm_inventory::project::{Project, PROJECT};
use crm_kernel::AppError;
use crm_store::{item, keys, Index, Query};

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let (limit, cursor) = call.page()?;
    let page = app.store.query(Query::index(t, Index::ByKind, keys::by_kind_pk(t, PROJECT)).limit(limit).after(cursor)).await?;
    let projects: Vec<Project> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    Ok(Reply::list(projects, limit, page.next_cursor))
}
