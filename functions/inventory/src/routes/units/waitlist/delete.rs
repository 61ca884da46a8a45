//! `DELETE /v1/units/{id}/waitlist/{entryId}` — off the waitlist.
//! `unit.waitlist.left`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::{catalogue, waitlist, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let unit = catalogue::unit_of(&app.store, &call).await?;
    let id = catalogue::path_id(&call, "entryId")?;
    let entry = waitlist::of(&app.store, &unit).await?.into_iter().find(|e| e.id == id).ok_or(AppError::NotFound)?;
    let event = catalogue::event(
        &call,
        crm_events::types::UNIT_WAITLIST_LEFT,
        "unit",
        unit.id,
        json!({ "entry_id": entry.id, "contact_id": entry.contact_id, "code": unit.fields.code }),
    )?;
    let tx = Tx::new().delete("entry", &entry.key(), Some(Condition::exists())).emit_audited(&event);
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::no_content())
}
