//! `PATCH /v1/buildings/{id}` `{name?, floors?}` — a building renamed (still
//! unique in its project) or re-floored; it stays in its project.
//! `If-Match` honoured. `building.updated`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::building::{Building, BuildingChanges};
use crm_kernel::{AppError, Timestamp};
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{item, Tx};
use serde_json::json;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let current = catalogue::building(&app.store, t, catalogue::path_id(&call, "id")?).await?;
    catalogue::if_match(&call, current.version)?;
    let next = current.apply(call.json::<BuildingChanges>()?, Timestamp::now())?;
    let changes = crm_records::write::changes(
        &json!({ "name": current.name, "floors": current.floors }),
        &json!({ "name": next.name, "floors": next.floors }),
    );
    if changes.is_empty() {
        return Ok(Reply::ok(&current).etag(current.version));
    }
    let event = catalogue::event(&call, crm_events::types::BUILDING_UPDATED, "building", next.id, json!({ "changes": changes }))?;
    let mut tx = Tx::new().put_if("building", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    if next.name.to_lowercase() != current.name.to_lowercase() {
        let marker = item::to_item(&Building::name_marker(t, next.project_id, &next.name), &json!({ "building_id": next.id }))?
            .with_str("kind", "marker");
        tx = tx.put_new("building_name", marker).delete("old_name", &Building::name_marker(t, current.project_id, &current.name), None);
    }
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::ok(&next).etag(next.version))
}
