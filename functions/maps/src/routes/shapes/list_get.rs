//! `GET /v1/maps/overlays/{id}/shapes?layer=&kind=` — the overlay's active
//! shapes (of one layer, of one kind), each with its unit's status.

use crm_http::{Call, ListQuery, Reply};
use crm_kernel::AppError;
use crm_maps::shape::ShapeKind;

use crate::status::ShapeView;
use crate::{lookup, status, App};

/// The query parameters of `MapShapesList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShapesQuery {
    /// A layer id of the overlay.
    pub layer: Option<String>,
    /// `unit` or `component`.
    #[schemars(extend("enum" = ["unit", "component"]))]
    pub kind: Option<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let overlay = lookup::overlay_of(&app.store, &call).await?;
    let _: ShapesQuery = call.query_as()?;
    let mut lq = ListQuery::of(&call);
    let layer = lq.id("layer");
    let kind = lq.one_of("kind", ShapeKind::ALL).and_then(|k| ShapeKind::parse(&k));
    lq.finish()?;
    let t = overlay.tenant_id;
    let shapes: Vec<_> = lookup::shapes(&app.store, t, overlay.id)
        .await?
        .into_iter()
        .filter(|s| s.is_active && layer.is_none_or(|l| s.layer_id == l) && kind.is_none_or(|k| s.kind == k))
        .collect();
    let views: Vec<ShapeView> = status::views(&app.store, t, shapes).await?;
    Ok(Reply::ok(views))
}
