//! `GET /v1/notify/suppression` — suppressed addresses, newest first.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::{item, keys, Index, Query};

use crate::suppression::{Suppression, SUPPRESSION};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let asked: SuppressionQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let mut q = Query::index(t, Index::ByKind, keys::by_kind_pk(t, SUPPRESSION)).descending().limit(limit).after(cursor);
    if let Some(c) = call.query("channel") {
        q = q.filter_eq("channel", c);
    }
    let page = app.store.query(q).await?;
    let items = page.items.into_iter().map(item::from_item::<Suppression>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(items, limit, page.next_cursor))
}

/// The query parameters of `NotifySuppressionList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// `email`, `sms`, `whatsapp`.
    pub channel: Option<String>,
}
