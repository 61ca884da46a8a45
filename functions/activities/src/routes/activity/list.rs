//! `GET /v1/activity?date=YYYY-MM-DD` — what happened in the tenant that
//! day (UTC), newest first, as projected by the `activity_feed` worker.

use crm_http::{Call, Reply};
use crm_kernel::{time::parse_date, AppError, Timestamp};
use crm_store::{keys, Query};

use crate::feed::FeedEntry;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let tenant = call.principal()?.tenant_id;
    let (limit, cursor) = call.page()?;
    let date = match call.query("date") {
        Some(d) => parse_date("date", &d)?.to_string(),
        None => Timestamp::now().date(),
    };
    let page = app.store.query(Query::table(tenant, keys::feed_pk(tenant, &date)).descending().limit(limit).after(cursor)).await?;
    let entries = page.items.into_iter().map(crm_store::item::from_item::<FeedEntry>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(entries, limit, page.next_cursor))
}
