//! `GET /v1/segments/{id}/run` — the rows of the segment: the entity's list
//! run with the saved filter, for the caller, cursor paginated.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let asked: RunQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let s = super::load(app, &call).await?;
    let bad = |e: serde_json::Error| AppError::internal(format!("stored segment filter: {e}"));
    match s.entity.as_str() {
        "contact" => {
            let f = serde_json::from_value(s.filter.clone()).map_err(bad)?;
            let (list, next) = crate::contacts::list::page(app, &p, &f, limit, cursor).await?;
            Ok(Reply::list(list.iter().map(|c| Row::Contact(crate::contacts::public(c, &p))).collect::<Vec<_>>(), limit, next))
        }
        _ => {
            let f = serde_json::from_value(s.filter.clone()).map_err(bad)?;
            let (list, next) = crate::companies::list::page(app, &p, &f, limit, cursor).await?;
            Ok(Reply::list(list.into_iter().map(Row::Company).collect::<Vec<_>>(), limit, next))
        }
    }
}

/// A row of a segment: a contact or a company, as its list shows it.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Row {
    Contact(crate::contacts::ContactReply),
    Company(crate::company::Company),
}

/// The query parameters of `SegmentsRun`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}
