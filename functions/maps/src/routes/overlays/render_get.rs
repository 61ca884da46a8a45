//! `GET /v1/maps/overlays/{id}/render.svg` — the plan with every shape of
//! its visible layers filled in its unit's status colour (from the read
//! model the unit events keep), labels set in their script's direction,
//! and the legend ([`crm_maps::render`]).

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::plan::Scene;
use crate::{lookup, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let overlay = lookup::overlay_of(&app.store, &call).await?;
    let scene = Scene::of(app, overlay).await?;
    Ok(Reply::svg(scene.svg(app).await?))
}
