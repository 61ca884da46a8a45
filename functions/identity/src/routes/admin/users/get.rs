//! `GET /v1/admin/users` — the tenant's users, newest first, cursor paginated.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::{item, keys, Index, Query};

use crate::model::{User, USER};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let asked: UsersQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let mut q = Query::index(t, Index::ByKind, keys::by_kind_pk(t, USER)).descending().limit(limit).after(cursor);
    if let Some(status) = call.query("status") {
        if !["active", "suspended", "deactivated"].contains(&status.as_str()) {
            return Err(AppError::invalid("status", "must be active, suspended or deactivated"));
        }
        q = q.filter_eq("status", status);
    }
    let page = app.store.query(q).await?;
    let users: Vec<_> =
        page.items.into_iter().map(item::from_item::<User>).collect::<Result<Vec<_>, _>>()?.iter().map(User::public).collect();
    Ok(Reply::list(users, limit, page.next_cursor))
}

/// The query parameters of `UsersList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UsersQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// `active`, `suspended`, `deactivated`.
    pub status: Option<String>,
}
