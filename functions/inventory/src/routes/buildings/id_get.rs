//! `GET /v1/buildings/{id}?limit=&cursor=` — the building with its units,
//! by code (a page of them; `units_next_cursor` continues).

use crm_http::{Call, Reply};
use crm_inventory::building::{Building, BUILDING};
use crm_inventory::unit::Unit;
use crm_kernel::AppError;
use crm_store::{item, keys, Index, Query};

use crate::{catalogue, App};

/// A building and a page of its units.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct BuildingView {
    #[serde(flatten)]
    pub building: Building,
    pub units: Vec<Unit>,
    /// The next page of units (`?cursor=`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units_next_cursor: Option<String>,
}

/// The query parameters of `BuildingsGet`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildingQuery {
    /// Units per page, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `units_next_cursor` of the previous page.
    pub cursor: Option<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let asked: BuildingQuery = call.query_as()?;
    let building = catalogue::building(&app.store, t, catalogue::path_id(&call, "id")?).await?;
    let limit = asked.limit.unwrap_or_default();
    let q = Query::index(t, Index::ByParent, keys::by_parent_pk(t, BUILDING, &building.id.to_string())).limit(limit).after(asked.cursor);
    let page = app.store.query(q).await?;
    let units: Vec<Unit> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    let version = building.version;
    Ok(Reply::ok(BuildingView { building, units, units_next_cursor: page.next_cursor }).etag(version))
}
