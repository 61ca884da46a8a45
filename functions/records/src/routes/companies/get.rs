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
use crate::companies::public;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let (limit, cursor) = call.page()?;
    let (list, next) = page(app, &p, &Filter::from_call(&call), limit, cursor).await?;
    Ok(Reply::list(list.iter().map(public).collect::<Vec<_>>(), limit, next))
}
