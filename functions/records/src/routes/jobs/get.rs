//! `GET /v1/jobs` — the caller's jobs, newest first.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::{item, keys, Index, Query};

use crate::job::{Job, JOB};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let (limit, cursor) = call.page()?;
    let q = Query::index(p.tenant_id, Index::ByOwner, keys::by_owner_pk(p.tenant_id, JOB, &p.user_id.to_string()))
        .descending()
        .limit(limit)
        .after(cursor);
    let page = app.store.query(q).await?;
    let jobs = page.items.into_iter().map(item::from_item::<Job>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(jobs.iter().map(crate::job::public).collect::<Vec<_>>(), limit, page.next_cursor))
}
