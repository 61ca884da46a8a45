//! `GET /v1/maps/overlays/{id}` — the overlay with its layers, its
//! alignment summary, its shape count and, once uploaded, a link to its
//! plan file (valid 15 minutes).

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_maps::layer::Layer;
use crm_maps::overlay::{Overlay, OverlayStatus};

use crate::{lookup, App};

/// An overlay as `MapOverlaysGet` shows it.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct OverlayView {
    #[serde(flatten)]
    pub overlay: Overlay,
    pub layers: Vec<Layer>,
    pub alignment_summary: Option<AlignmentSummary>,
    pub shape_count: usize,
    pub file_url: Option<String>,
}

/// What the alignment says at a glance.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct AlignmentSummary {
    #[schemars(with = "String", extend("enum" = ["simple", "georef"]))]
    pub method: crm_maps::alignment::Method,
    pub srid: u32,
    pub control_points: usize,
    pub residual_rms: Option<f64>,
    /// World units per pixel along x.
    pub scale: f64,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let overlay = lookup::overlay_of(&app.store, &call).await?;
    let t = overlay.tenant_id;
    let (layers, shapes) = futures::try_join!(lookup::layers(&app.store, t, overlay.id), lookup::shapes(&app.store, t, overlay.id))?;
    let alignment_summary = overlay.alignment.as_ref().map(|a| AlignmentSummary {
        method: a.method,
        srid: a.srid,
        control_points: a.control_points.len(),
        residual_rms: a.residual_rms,
        scale: a.transform[0].hypot(a.transform[3]),
    });
    let file_url = match overlay.status {
        OverlayStatus::Ready => Some(app.files.view_url(&overlay.object_key(), overlay.file_version.as_deref()).await?),
        OverlayStatus::AwaitingUpload => None,
    };
    let version = overlay.version;
    Ok(Reply::ok(OverlayView { overlay, layers, alignment_summary, shape_count: shapes.len(), file_url }).etag(version))
}
