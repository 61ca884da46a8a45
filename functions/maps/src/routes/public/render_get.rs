//! `GET /v1/public/overlays/{publicId}/render.svg` — the published plan as
//! SVG: shapes in their status colours, labels, the legend. A shape's title
//! is its label and status, nothing more.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::plan::Scene;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let overlay = super::overlay(app, &call).await?;
    let scene = Scene::of(app, overlay).await?;
    Ok(Reply::svg(scene.svg(app).await?))
}
