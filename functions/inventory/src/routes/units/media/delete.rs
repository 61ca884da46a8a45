//! `DELETE /v1/units/{id}/media/{mediaId}` — the item and its object go
//! (the versioned bucket expires the non-current version a day later).

use crm_http::{Call, Reply};
use crm_inventory::media::Media;
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let (unit, m) = super::load(app, &call).await?;
    catalogue::if_match(&call, m.version)?;
    let tx = Tx::new().delete("media", &Media::key(p.tenant_id, unit.id, m.id), Some(Condition::version_is(m.version)));
    let tx = catalogue::give_place(tx, p.tenant_id, unit.id, "media");
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    app.files.delete(&m.object_key()).await?;
    Ok(Reply::no_content())
}
