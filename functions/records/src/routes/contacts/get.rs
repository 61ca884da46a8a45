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
    let (limit, cursor) = call.page()?;
    let (list, next) = page(app, &p, &Filter::from_call(&call), limit, cursor).await?;
    Ok(Reply::list(list.iter().map(public).collect::<Vec<_>>(), limit, next))
}
