//! `GET /v1/segments?entity=contact|company` — the entity's segments, by name.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::{item, Index, Query};

use crate::segment::{Segment, ENTITIES};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let asked: SegmentsQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let entity = call.query("entity").unwrap_or_default();
    if !ENTITIES.contains(&entity.as_str()) {
        return Err(AppError::invalid("entity", format!("must be one of {}", ENTITIES.join(", "))));
    }
    let page = app.store.query(Query::index(t, Index::ByParent, Segment::entity_pk(t, &entity)).limit(limit).after(cursor)).await?;
    let list = page.items.into_iter().map(item::from_item::<Segment>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(list, limit, page.next_cursor))
}

/// The query parameters of `SegmentsList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentsQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// `contact` or `company`.
    pub entity: Option<String>,
}
