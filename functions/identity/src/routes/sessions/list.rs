//! `GET /v1/auth/sessions` — the caller's active sessions, newest first; the
//! one making the request is marked `current`.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::{item, keys, Index, Query};

use crate::model::{Session, SESSION};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let asked: SessionsQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let q = Query::index(p.tenant_id, Index::ByOwner, keys::by_owner_pk(p.tenant_id, SESSION, &p.user_id.to_string()))
        .descending()
        .limit(limit)
        .after(cursor);
    let page = app.store.query(q).await?;
    let now = Timestamp::now();
    let me: Option<crate::model::User> = app.store.get_as(&crate::model::User::key(p.tenant_id, p.user_id)).await?;
    let valid_after = me.and_then(|u| u.sessions_valid_after);
    let sessions: Vec<_> = page
        .items
        .into_iter()
        .map(item::from_item::<Session>)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|s| s.is_live(now, valid_after))
        .map(|s| s.public(p.session_id.as_deref()))
        .collect();
    Ok(Reply::list(sessions, limit, page.next_cursor))
}

/// The query parameters of `SessionsList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionsQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}
