//! `GET /v1/companies?search=&domain=&city=&owner=&status=` — companies,
//! cursor paginated, each filter a key condition:
//!
//! * `search` (also `name`): prefix match on name, domain, city and phone,
//!   case-, accent- and Arabic-insensitive (the search index);
//! * `domain`: `by_lookup`; `city`: `by_parent` (sorted by name);
//!   `owner` (`me` or a user id): `by_owner`; otherwise newest first (`by_kind`);
//! * `status` filters the page.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::companies::list::{page, Filter};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let asked: CompaniesQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let (list, next) = page(app, &p, &Filter::from_call(&call), limit, cursor).await?;
    Ok(Reply::list(list, limit, next))
}

/// The query parameters of `CompaniesList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompaniesQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Name, domain, city or phone.
    pub search: Option<String>,
    /// The same as `search`.
    pub name: Option<String>,
    /// A web domain.
    pub domain: Option<String>,
    /// A city.
    pub city: Option<String>,
    /// `me` or a user id.
    pub owner: Option<String>,
    /// `active`, `inactive`.
    pub status: Option<String>,
}
