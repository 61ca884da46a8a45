//! `GET /v1/units/{id}/waitlist` — the buyers queued for the unit, first
//! come first.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Limit};

use crate::{catalogue, waitlist, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let unit = catalogue::unit_of(&app.store, &call).await?;
    Ok(Reply::list(waitlist::of(&app.store, &unit).await?, Limit::max(), None))
}
