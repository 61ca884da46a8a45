//! `DELETE /v1/units/{id}/components/{componentId}` — `If-Match` honoured.
//! `unit.component.deleted`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::component::Component;
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let (unit, c) = super::load(app, &call).await?;
    catalogue::if_match(&call, c.version)?;
    let data = json!({ "component_id": c.id, "component_type_code": c.component_type_code });
    let event = catalogue::event(&call, crm_events::types::UNIT_COMPONENT_DELETED, "unit", unit.id, data)?;
    let tx = Tx::new()
        .delete("component", &Component::key(p.tenant_id, unit.id, c.id), Some(Condition::version_is(c.version)))
        .emit_audited(&event);
    let tx = catalogue::give_place(tx, p.tenant_id, unit.id, "components");
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::no_content())
}
