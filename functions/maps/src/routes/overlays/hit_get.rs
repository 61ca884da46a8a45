//! `GET /v1/maps/overlays/{id}/hit?x=&y=` — the unit at a point of the plan
//! (pixels): the unit's shape under it among the visible layers and, where
//! a component is drawn there, that component's shape; each with its
//! unit's status. Nothing there is `{unit: null, component: null}`.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::plan::Scene;
use crate::status::ShapeView;
use crate::{lookup, App};

/// The query parameters of `MapOverlayHit`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HitQuery {
    /// Pixels from the plan's left edge.
    pub x: String,
    /// Pixels from the plan's top edge.
    pub y: String,
}

/// What is at the point.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Hit {
    pub unit: Option<ShapeView>,
    pub component: Option<ShapeView>,
}

fn coordinate(call: &Call, name: &str, errors: &mut Vec<crm_kernel::FieldError>) -> f64 {
    match call.query(name).map(|v| v.trim().parse::<f64>()) {
        Some(Ok(v)) if v.is_finite() && v.abs() <= crm_maps::polygon::MAX_COORDINATE => v,
        _ => {
            errors.push(crm_kernel::FieldError::new(name, "must be a number of pixels"));
            0.0
        }
    }
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let overlay = lookup::overlay_of(&app.store, &call).await?;
    let _: HitQuery = call.query_as()?;
    let mut errors = Vec::new();
    let (x, y) = (coordinate(&call, "x", &mut errors), coordinate(&call, "y", &mut errors));
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let scene = Scene::of(app, overlay).await?;
    let (unit, component) = scene.hit(x, y);
    Ok(Reply::ok(Hit { unit: unit.cloned(), component: component.cloned() }))
}
