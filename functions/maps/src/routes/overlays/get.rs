//! `GET /v1/maps/overlays?project=&building=` — the tenant's overlays by
//! name, cursor paginated; of one project or building when asked.

use crm_http::{Call, ListQuery, Reply};
use crm_kernel::AppError;
use crm_maps::overlay::{Overlay, OVERLAY};
use crm_store::{item, keys, Filter, Index, Query};

use crate::{lookup, App};

/// The query parameters of `MapOverlaysList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverlaysQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// A project id.
    pub project: Option<String>,
    /// A building id.
    pub building: Option<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    lookup::enabled(p)?;
    let t = p.tenant_id;
    let asked: OverlaysQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let mut lq = ListQuery::of(&call);
    let (project, building) = (lq.id("project"), lq.id("building"));
    lq.finish()?;
    let mut q = Query::index(t, Index::ByKind, keys::by_kind_pk(t, OVERLAY)).limit(limit).after(cursor);
    if let Some(id) = project {
        q = q.filter(Filter::eq("project_id", id.to_string()));
    }
    if let Some(id) = building {
        q = q.filter(Filter::eq("building_id", id.to_string()));
    }
    let page = app.store.query(q).await?;
    let overlays: Vec<Overlay> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    Ok(Reply::list(overlays, limit, page.next_cursor))
}
