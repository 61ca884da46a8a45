//! `GET /v1/segments/{id}/run` — the rows of the segment: the entity's list
//! run with the saved filter, for the caller, cursor paginated.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let (limit, cursor) = call.page()?;
    let s = super::load(app, &call).await?;
    let bad = |e: serde_json::Error| AppError::internal(format!("stored segment filter: {e}"));
    match s.entity.as_str() {
        "contact" => {
            let f = serde_json::from_value(s.filter.clone()).map_err(bad)?;
            let (list, next) = crate::contacts::list::page(app, &p, &f, limit, cursor).await?;
            Ok(Reply::list(list.iter().map(crate::contacts::public).collect::<Vec<_>>(), limit, next))
        }
        _ => {
            let f = serde_json::from_value(s.filter.clone()).map_err(bad)?;
            let (list, next) = crate::companies::list::page(app, &p, &f, limit, cursor).await?;
            Ok(Reply::list(list.iter().map(crate::companies::public).collect::<Vec<_>>(), limit, next))
        }
    }
}
