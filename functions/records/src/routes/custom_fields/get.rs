//! `GET /v1/custom-fields/definitions?entity=contact|company` — the entity's
//! definitions, by code.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::{item, Index, Query};

use crate::custom_fields::{Definition, ENTITIES};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let asked: DefinitionsQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let entity = call.query("entity").unwrap_or_default();
    if !ENTITIES.contains(&entity.as_str()) {
        return Err(AppError::invalid("entity", format!("must be one of {}", ENTITIES.join(", "))));
    }
    let page = app.store.query(Query::index(t, Index::ByParent, Definition::entity_pk(t, &entity)).limit(limit).after(cursor)).await?;
    let defs = page.items.into_iter().map(item::from_item::<Definition>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(defs, limit, page.next_cursor))
}

/// The query parameters of `CustomFieldsList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefinitionsQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// `contact`, `company`, `deal`, `lead`.
    pub entity: Option<String>,
}
