//! `GET /v1/admin/api-keys` — the tenant's keys (never their secrets), newest first.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::{item, keys, Index, Query};

use crate::model::{ApiKey, API_KEY};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let asked: ApiKeysQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let page =
        app.store.query(Query::index(t, Index::ByKind, keys::by_kind_pk(t, API_KEY)).descending().limit(limit).after(cursor)).await?;
    let now = Timestamp::now();
    let list: Vec<_> =
        page.items.into_iter().map(item::from_item::<ApiKey>).collect::<Result<Vec<_>, _>>()?.iter().map(|k| k.public(now)).collect();
    Ok(Reply::list(list, limit, page.next_cursor))
}

/// The query parameters of `ApiKeysList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeysQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}
