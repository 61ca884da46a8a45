//! `GET /v1/public/overlays/{publicId}` — the published overlay, read-only
//! and without price or personal data ([`super::PublicOverlay`]).

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::plan::Scene;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let overlay = super::overlay(app, &call).await?;
    let scene = Scene::of(app, overlay).await?;
    Ok(Reply::ok(super::project(app, &scene).await?))
}
