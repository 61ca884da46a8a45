//! `POST /v1/maps/shapes/export` `{overlay_id, layer_id?, kind?}` — the
//! overlay's active shapes as a GeoJSON FeatureCollection (RFC 7946), each
//! feature's properties linking and labelling it as an import reads them,
//! with its unit's status and its measures.

use crm_http::{Call, Reply};
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId};
use crm_maps::shape::ShapeKind;

use crate::geojson::{CollectionType, Exported};
use crate::{lookup, status, App};

/// The body of `MapShapesExport`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ShapesExport {
    pub overlay_id: Input<EntityId>,
    /// Only this layer's shapes.
    pub layer_id: Input<EntityId>,
    /// Only `unit` or `component` shapes.
    #[schemars(extend("enum" = ["unit", "component"]))]
    pub kind: Input<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    lookup::enabled(p)?;
    let asked: ShapesExport = call.json()?;
    let mut f = Fields::new();
    let overlay_id = f.entity_id("overlay_id", asked.overlay_id).flatten();
    f.require("overlay_id", overlay_id.is_some());
    let layer = f.entity_id("layer_id", asked.layer_id).flatten();
    let kind = match asked.kind {
        Input::Absent | Input::Null => None,
        other => f.one_of("kind", other, ShapeKind::ALL).and_then(|k| ShapeKind::parse(&k)),
    };
    let (overlay_id, layer, kind) = f.finish((overlay_id, layer, kind))?;
    let overlay_id = overlay_id.ok_or_else(|| AppError::invalid("overlay_id", "is required"))?;
    let overlay = match lookup::overlay(&app.store, p.tenant_id, overlay_id).await {
        Err(AppError::NotFound) => return Err(AppError::invalid("overlay_id", "no such overlay in this tenant")),
        other => other?,
    };
    let shapes: Vec<_> = lookup::shapes(&app.store, p.tenant_id, overlay.id)
        .await?
        .into_iter()
        .filter(|s| s.is_active && layer.is_none_or(|l| s.layer_id == l) && kind.is_none_or(|k| s.kind == k))
        .collect();
    let features = status::views(&app.store, p.tenant_id, shapes).await?.into_iter().map(Into::into).collect();
    Ok(Reply::ok(Exported { kind: CollectionType::FeatureCollection, features }))
}
