//! `GET /v1/jobs` — the caller's jobs, newest first, of the kinds they may
//! read now (a page may then hold fewer than `limit`).

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::{item, keys, Index, Query};

use crate::App;
use crm_jobs::job::{Job, JOB};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let asked: JobsQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let q = Query::index(p.tenant_id, Index::ByOwner, keys::by_owner_pk(p.tenant_id, JOB, &p.user_id.to_string()))
        .descending()
        .limit(limit)
        .after(cursor);
    let page = app.store.query(q).await?;
    let jobs = page.items.into_iter().map(item::from_item::<Job>).collect::<Result<Vec<_>, _>>()?;
    let mine = jobs.iter().filter(|j| p.can(j.kind.read_permission())).map(crm_jobs::job::public);
    Ok(Reply::list(mine.collect::<Vec<_>>(), limit, page.next_cursor))
}

/// The query parameters of `JobsList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobsQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}
