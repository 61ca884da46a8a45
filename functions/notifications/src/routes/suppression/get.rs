//! `GET /v1/notify/suppression` — suppressed addresses, newest first.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::{item, keys, Index, Query};

use crate::suppression::{Suppression, SUPPRESSION};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let (limit, cursor) = call.page()?;
    let mut q = Query::index(t, Index::ByKind, keys::by_kind_pk(t, SUPPRESSION)).descending().limit(limit).after(cursor);
    if let Some(c) = call.query("channel") {
        q = q.filter_eq("channel", c);
    }
    let page = app.store.query(q).await?;
    let items = page.items.into_iter().map(item::from_item::<Suppression>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(items, limit, page.next_cursor))
}
