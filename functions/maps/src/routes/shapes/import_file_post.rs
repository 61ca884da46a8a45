//! `POST /v1/maps/shapes/import/file` `{overlay_id, layer_id, filename?,
//! dry_run?, change_note?}` — a GeoJSON file's import, through the jobs:
//! `201` with the job (`map_shapes_import`, waiting for its file) and the
//! presigned form the file goes up with (`application/geo+json`, at most
//! 10 MB; a `.geojson` or `.json` name). `POST /v1/jobs/{id}/start` then
//! queues it, and `GET /v1/jobs/{id}` follows it: each feature a row, its
//! problems the row's errors ([`crate::import_job`]). The overlay must be
//! the tenant's and measured, the layer its own; what the creator's plan
//! holds now (`maps.componentShapes`, `maps.shapes.max`) is what the job
//! works within.

use crm_http::{Call, Reply};
use crm_jobs::JobKind;
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId};

use crate::import_job::Target;
use crate::{drawing, lookup, App};

/// The body of `MapShapesImportFile`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FileImport {
    pub overlay_id: Input<EntityId>,
    pub layer_id: Input<EntityId>,
    /// The file's name (`shapes.geojson` if none): letters, digits, spaces,
    /// `.`, `_` or `-`, ending `.geojson` or `.json`.
    #[schemars(length(max = 100))]
    pub filename: Input<String>,
    /// Check every feature, write nothing: the preview.
    pub dry_run: Input<bool>,
    #[schemars(length(max = 500))]
    pub change_note: Input<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    lookup::enabled(p)?;
    let asked: FileImport = call.json()?;
    let mut f = Fields::new();
    let overlay_id = f.entity_id("overlay_id", asked.overlay_id).flatten();
    f.require("overlay_id", overlay_id.is_some());
    let layer_id = f.entity_id("layer_id", asked.layer_id).flatten();
    f.require("layer_id", layer_id.is_some());
    let filename = f.text("filename", asked.filename, 100).flatten();
    let dry_run = f.bool("dry_run", asked.dry_run).unwrap_or(false);
    let change_note = drawing::note(&mut f, asked.change_note);
    let (overlay_id, layer_id) = match f.finish((overlay_id, layer_id))? {
        (Some(o), Some(l)) => (o, l),
        _ => return Err(AppError::invalid("overlay_id", "is required")),
    };
    let name = crm_jobs::start::filename(JobKind::MapShapesImport, filename, "shapes.geojson")?;
    let overlay = match lookup::overlay(&app.store, p.tenant_id, overlay_id).await {
        Err(AppError::NotFound) => return Err(AppError::invalid("overlay_id", "no such overlay in this tenant")),
        other => other?,
    };
    lookup::size_of(&overlay)?;
    drawing::layer_of(&app.store, p.tenant_id, overlay.id, layer_id).await?;
    let mut job = crm_jobs::start::new_import(p, JobKind::MapShapesImport, &name);
    job.dry_run = dry_run;
    job.filter = serde_json::to_value(Target { overlay_id, layer_id, change_note }).map_err(|e| AppError::Internal(e.to_string()))?;
    crm_jobs::start::upload(&app.store, &app.files, job).await
}
