//! `POST /v1/buildings` `{project_id, name, floors?}` — a building of a
//! project of the tenant (`400` on `project_id` otherwise), its name unique
//! in the project (`409`); the project's tally of buildings moves in the
//! same transaction. `building.created`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::building::{Building, BuildingChanges};
use crm_inventory::project::{Project, PROJECT};
use crm_kernel::fields::Input;
use crm_kernel::{AppError, Timestamp};
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{item, keys, Tx};
use serde_json::json;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let mut c: BuildingChanges = call.json()?;
    let project_id = match std::mem::take(&mut c.project_id) {
        Input::Given(id) => id,
        Input::Absent | Input::Null => return Err(AppError::invalid("project_id", "is required")),
        Input::Invalid(_) => return Err(AppError::invalid("project_id", "must be an id")),
    };
    let building = Building::new(t, project_id, c, Timestamp::now())?;
    let event = catalogue::event(
        &call,
        crm_events::types::BUILDING_CREATED,
        "building",
        building.id,
        json!({ "name": building.name, "project_id": project_id, "floors": building.floors }),
    )?;
    let marker = item::to_item(&Building::name_marker(t, project_id, &building.name), &json!({ "building_id": building.id }))?
        .with_str("kind", "marker");
    let tx = Tx::new()
        .put_new("building", building.to_item()?)
        .put_new("building_name", marker)
        .check("ref:project_id", &Project::key(t, project_id), Condition::exists())
        .add("tally", &keys::children_tally(t, PROJECT, project_id), &[("buildings", 1)], Condition::always())
        .emit_audited(&event);
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::created(format!("/v1/buildings/{}", building.id), &building).etag(building.version))
}
