//! An overlay's layers: `GET|POST /v1/maps/overlays/{id}/layers`,
//! `PATCH|DELETE /v1/maps/overlays/{id}/layers/{layerId}`.

pub mod delete;
pub mod get;
pub mod patch;
pub mod post;

use crm_http::Call;
use crm_kernel::AppError;
use crm_maps::layer::Layer;
use crm_maps::overlay::Overlay;

use crate::{lookup, App};

/// The overlay `{id}` and its layer `{layerId}`.
pub async fn load(app: &App, call: &Call) -> Result<(Overlay, Layer), AppError> {
    let overlay = lookup::overlay_of(&app.store, call).await?;
    let layer = lookup::layer(&app.store, overlay.tenant_id, overlay.id, lookup::path_id(call, "layerId")?).await?;
    Ok((overlay, layer))
}
