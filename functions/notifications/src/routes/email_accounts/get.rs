//! `GET /v1/email/provider-accounts` — the tenant's mailboxes (no tokens).

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::{item, keys, Index, Query};

use crate::accounts::{self, EmailAccount, EMAIL_ACCOUNT};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let asked: AccountsQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let default = accounts::default_id(&app.store, t).await?;
    let page = app.store.query(Query::index(t, Index::ByKind, keys::by_kind_pk(t, EMAIL_ACCOUNT)).limit(limit).after(cursor)).await?;
    let list = page.items.into_iter().map(item::from_item::<EmailAccount>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(list.iter().map(|a| a.public(default == Some(a.id))).collect::<Vec<_>>(), limit, page.next_cursor))
}

/// The query parameters of `EmailAccountsList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountsQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}
