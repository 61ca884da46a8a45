//! `GET /v1/contacts?search=&owner=&company=&lifecycle=` — contacts, cursor
//! paginated: `search` prefix-matches names, email and phone (case, accents,
//! Arabic folded); `company` is the company's partition (`by_parent`, by
//! name); `owner` (`me` or a user id) `by_owner`; otherwise newest first;
//! `lifecycle` filters the page.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::contacts::list::{page, Filter};
use crate::contacts::public;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let asked: ContactsQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let (list, next) = page(app, &p, &Filter::from_call(&call), limit, cursor).await?;
    Ok(Reply::list(list.iter().map(|c| public(c, &p)).collect::<Vec<_>>(), limit, next))
}

/// The query parameters of `ContactsList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactsQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Name, email or phone.
    pub search: Option<String>,
    /// A company id.
    pub company: Option<String>,
    /// `me` or a user id.
    pub owner: Option<String>,
    /// `lead`, `prospect`, `customer`, `inactive`.
    pub lifecycle: Option<String>,
}
