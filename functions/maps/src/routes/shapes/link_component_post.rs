//! `POST /v1/maps/shapes/{id}/link-component` `{unit_component_id,
//! component_type_code, unit_id?, label?}` — a component shape
//! (`maps.componentShapes`) links a component of its unit (or of `unit_id`)
//! *and* the component's `component_type_code`, which must be the
//! component's. Its geometry is checked with the new links: inside the
//! unit's shape, its area against the component's dimensions.
//! `map.shape.linked`.

use crm_http::{Call, Reply};
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId};
use crm_maps::shape::ShapeKind;

use crate::{drawing, lookup, App};

/// The body of `MapShapeLinkComponent`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LinkComponent {
    pub unit_component_id: Input<EntityId>,
    #[schemars(length(min = 1, max = 64))]
    pub component_type_code: Input<String>,
    /// Default: the unit the shape links now.
    pub unit_id: Input<EntityId>,
    #[schemars(length(min = 1, max = 80))]
    pub label: Input<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let (overlay, current) = lookup::shape_of(&app.store, &call).await?;
    lookup::if_match(&call, current.version)?;
    let asked: LinkComponent = call.json()?;
    let mut f = Fields::new();
    let component = f.entity_id("unit_component_id", asked.unit_component_id).flatten();
    f.require("unit_component_id", component.is_some());
    let code = f.text("component_type_code", asked.component_type_code, 64).flatten();
    f.require("component_type_code", code.is_some());
    let unit = f.entity_id("unit_id", asked.unit_id).flatten();
    let label = f.text("label", asked.label, 80).flatten();
    let (component, code, unit, label) = f.finish((component, code, unit, label))?;
    if current.kind != ShapeKind::Component {
        return Err(AppError::Conflict("a unit shape links a unit: use link-unit".into()));
    }
    let linked = drawing::link(&app.store, p, &overlay, ShapeKind::Component, unit.or(current.unit_id), component.zip(code)).await?;
    super::link_unit_post::relink(app, &call, &overlay, current, &linked, label).await
}
