//! `DELETE /v1/buildings/{id}` — only a building without units (`409`
//! otherwise: its tally of units must be zero in the same transaction).
//! `building.deleted`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::building::{Building, BUILDING};
use crm_inventory::project::PROJECT;
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::{keys, StoreError, Tx};
use serde_json::json;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let b = catalogue::building(&app.store, t, catalogue::path_id(&call, "id")?).await?;
    catalogue::if_match(&call, b.version)?;
    let event = catalogue::event(
        &call,
        crm_events::types::BUILDING_DELETED,
        "building",
        b.id,
        json!({ "name": b.name, "project_id": b.project_id }),
    )?;
    let tx = Tx::new()
        .delete("building", &Building::key(t, b.id), Some(Condition::version_is(b.version)))
        .delete("tally", &keys::children_tally(t, BUILDING, b.id), Some(Condition::absent_or_zero("units")))
        .delete("name", &Building::name_marker(t, b.project_id, &b.name), None)
        .add("project_tally", &keys::children_tally(t, PROJECT, b.project_id), &[("buildings", -1)], Condition::always())
        .emit_audited(&event);
    match app.store.transact(tx).await {
        Err(StoreError::ConditionFailed { label }) if label == "tally" => {
            Err(AppError::Conflict("the building has units: delete them first".into()))
        }
        other => other.map(|()| Reply::no_content()).map_err(|e| catalogue::refused(p, e)),
    }
}
