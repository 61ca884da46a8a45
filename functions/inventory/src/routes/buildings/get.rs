//! `GET /v1/buildings?project=` — buildings by name: a project's, or all
//! the tenant's; cursor paginated.

use crm_http::{Call, ListQuery, Reply};
use crm_inventory::building::{Building, BUILDING};
use crm_inventory::project::PROJECT;
use crm_kernel::AppError;
use crm_store::{item, keys, Index, Query};

use crate::App;

/// The query parameters of `BuildingsList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildingsQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// A project id.
    pub project: Option<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let asked: BuildingsQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let mut lq = ListQuery::of(&call);
    let project = lq.id("project");
    lq.finish()?;
    let q = match project {
        Some(pr) => Query::index(t, Index::ByParent, keys::by_parent_pk(t, PROJECT, &pr.to_string())),
        None => Query::index(t, Index::ByKind, keys::by_kind_pk(t, BUILDING)),
    };
    let page = app.store.query(q.limit(limit).after(cursor)).await?;
    let buildings: Vec<Building> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    Ok(Reply::list(buildings, limit, page.next_cursor))
}
