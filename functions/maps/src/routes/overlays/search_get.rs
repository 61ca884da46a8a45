//! `GET /v1/maps/overlays/{id}/search?q=` — jump to a unit: shapes whose
//! unit code contains `q`, or whose `unit_type_code` or
//! `component_type_code` is `q` (case aside), each with the point to
//! centre on and its bounding box.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::plan::{Found, Scene};
use crate::{lookup, App};

/// The query parameters of `MapOverlaySearch`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// A unit code (or part of one), a unit type code or a component type code.
    #[schemars(length(min = 1, max = 64))]
    pub q: String,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let overlay = lookup::overlay_of(&app.store, &call).await?;
    let asked: SearchQuery = call.query_as()?;
    let q = asked.q.trim();
    if q.is_empty() || q.chars().count() > 64 {
        return Err(AppError::invalid("q", "must be 1 to 64 characters"));
    }
    let scene = Scene::of(app, overlay).await?;
    let found: Vec<Found> = scene.search(q);
    Ok(Reply::ok(found))
}
