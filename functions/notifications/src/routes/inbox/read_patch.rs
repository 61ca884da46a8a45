//! `PATCH /v1/me/notifications/{id}/read` — mark one entry read (again: no change).

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::{StoreError, Tx};

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let e = super::own(app, &call).await?;
    let (tx, read) = super::mark_read(Tx::new(), &e, Timestamp::now())?;
    let Some(read) = read else { return Ok(Reply::ok(&e).etag(e.version)) };
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::ok(&read).etag(read.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(err) => Err(err.into()),
    }
}
