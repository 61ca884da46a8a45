//! `GET /v1/activity?date=YYYY-MM-DD` — what happened in the tenant that
//! day (UTC), newest first, as projected by the `activity_feed` worker.

use crm_http::{Call, Reply};
use crm_kernel::{time::parse_date, AppError, Timestamp};
use crm_store::{keys, Query};

use crate::feed::FeedEntry;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let tenant = call.principal()?.tenant_id;
    let asked: ActivityQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let date = match call.query("date") {
        Some(d) => parse_date("date", &d)?.to_string(),
        None => Timestamp::now().date(),
    };
    let page = app.store.query(Query::table(tenant, keys::feed_pk(tenant, &date)).descending().limit(limit).after(cursor)).await?;
    let entries = page.items.into_iter().map(crm_store::item::from_item::<FeedEntry>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(entries, limit, page.next_cursor))
}

/// The query parameters of `ActivityList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// `YYYY-MM-DD` (default today, UTC).
    pub date: Option<String>,
}
