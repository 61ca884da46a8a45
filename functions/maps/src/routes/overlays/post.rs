//! `POST /v1/maps/overlays` `{name, project_id | building_id, file_type,
//! dpi?, srid?}` — an overlay of a project or a building of the tenant (a
//! building's overlay belongs to its project too), a place in
//! `maps.overlays.max` taken in the same transaction, and a presigned POST
//! for its plan file: the policy pins the key, the content type and the
//! size (at most 25 MB, an SVG 5 MB). It is `awaiting_upload` until
//! `POST …/{id}/confirm` reads the file. `map.overlay.created`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::building::Building;
use crm_inventory::project::Project;
use crm_kernel::{AppError, Timestamp};
use crm_maps::overlay::{Overlay, OverlayChanges};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::{lookup, App};

/// An overlay waiting for its file, and the form that uploads it.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct NewOverlay {
    pub overlay: Overlay,
    pub upload: crm_files::UploadForm,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    lookup::enabled(p)?;
    let t = p.tenant_id;
    let (mut overlay, project, building) = Overlay::new(t, p.user_id, call.json::<OverlayChanges>()?, Timestamp::now())?;
    lookup::check_watchers(&app.store, t, &overlay.watchers).await?;
    let mut tx = Tx::new();
    if let Some(b) = building {
        let found: Building = app
            .store
            .get_as(&Building::key(t, b))
            .await?
            .ok_or_else(|| AppError::invalid("building_id", "no such building in this tenant"))?;
        if project.is_some_and(|p| p != found.project_id) {
            return Err(AppError::invalid("building_id", "the building is not in the project"));
        }
        overlay.project_id = Some(found.project_id);
        tx = tx.check("ref:building_id", &Building::key(t, b), Condition::exists());
    }
    if let Some(pid) = overlay.project_id {
        tx = tx.check("ref:project_id", &Project::key(t, pid), Condition::exists());
    }
    let upload = app.files.upload_form(&overlay.object_key(), overlay.file_type.content_type(), overlay.file_type.max_bytes()).await?;
    let data = json!({ "name": overlay.name, "project_id": overlay.project_id, "building_id": overlay.building_id, "file_type": overlay.file_type });
    let event = lookup::event(&call, crm_events::types::MAP_OVERLAY_CREATED, "overlay", overlay.id, data)?;
    let tx = tx.put_new("overlay", overlay.to_item()?).emit_audited(&event);
    let tx = crm_records::write::take_quota(tx, p, "maps.overlays.max");
    app.store.transact(tx).await.map_err(|e| lookup::refused(p, e))?;
    Ok(Reply::created(format!("/v1/maps/overlays/{}", overlay.id), NewOverlay { overlay, upload }))
}
