//! An overlay as it is seen: its visible layers, their active shapes with
//! their units' status, and what is read off them — the SVG render, the
//! hit test, the search. The private routes and the public view share it.

use crm_kernel::{AppError, EntityId};
use crm_maps::layer::Layer;
use crm_maps::overlay::{Overlay, OverlayStatus};
use crm_maps::render::{self, Drawn, Plan};
use crm_maps::shape::ShapeKind;
use geo::{BoundingRect, InteriorPoint, Polygon};

use crate::status::{self, ShapeView};
use crate::{lookup, App};

/// What a viewer sees of an overlay.
pub struct Scene {
    pub overlay: Overlay,
    /// The visible layers, in drawing order.
    pub layers: Vec<Layer>,
    /// The active shapes of those layers, each with its geometry.
    pub shapes: Vec<(ShapeView, Polygon<f64>)>,
}

impl Scene {
    pub async fn of(app: &App, overlay: Overlay) -> Result<Self, AppError> {
        let t = overlay.tenant_id;
        let (layers, shapes) = futures::try_join!(lookup::layers(&app.store, t, overlay.id), lookup::shapes(&app.store, t, overlay.id))?;
        let layers: Vec<Layer> = layers.into_iter().filter(|l| l.is_visible).collect();
        let shown = |s: &crm_maps::map_shape::MapShape| s.is_active && layers.iter().any(|l| l.id == s.layer_id);
        let shapes: Vec<_> = shapes.into_iter().filter(shown).collect();
        let views = status::views(&app.store, t, shapes).await?;
        let shapes = views.into_iter().filter_map(|v| v.shape.geom_geojson.parse().ok().map(|g| (v, g))).collect();
        Ok(Self { overlay, layers, shapes })
    }

    fn opacity(&self, layer: EntityId) -> f64 {
        self.layers.iter().find(|l| l.id == layer).map(|l| l.opacity).unwrap_or(1.0)
    }

    /// The plan as SVG: the plan image under every shape in its status colour, labels, the legend.
    pub async fn svg(&self, app: &App) -> Result<String, AppError> {
        let (width, height) = lookup::size_of(&self.overlay)?;
        let image_href = match self.overlay.status {
            OverlayStatus::Ready => Some(app.files.view_url(&self.overlay.object_key(), self.overlay.file_version.as_deref()).await?),
            OverlayStatus::AwaitingUpload => None,
        };
        let order = |layer: EntityId| self.layers.iter().position(|l| l.id == layer).unwrap_or(0);
        let mut ordered: Vec<&(ShapeView, Polygon<f64>)> = self.shapes.iter().collect();
        ordered.sort_by_key(|(v, _)| order(v.shape.layer_id));
        let drawn: Vec<Drawn<'_>> = ordered
            .iter()
            .map(|(v, g)| Drawn {
                id: v.shape.id,
                label: v.shape.label.clone(),
                status: v.status,
                component: v.shape.kind == ShapeKind::Component,
                opacity: self.opacity(v.shape.layer_id),
                polygon: g,
            })
            .collect();
        Ok(render::svg(&Plan { width, height, image_href }, &drawn))
    }

    /// The smallest shape at `(x, y)` (a component over its unit), and its unit's shape.
    pub fn hit(&self, x: f64, y: f64) -> (Option<&ShapeView>, Option<&ShapeView>) {
        let found = crm_maps::hit::hit(self.shapes.iter().map(|(v, g)| (v, g)), x, y);
        let unit = match found {
            Some(v) if v.shape.kind == ShapeKind::Component => {
                let theirs = |(u, g): &&(ShapeView, Polygon<f64>)| {
                    u.shape.kind == ShapeKind::Unit
                        && u.shape.unit_id == v.shape.unit_id
                        && geo::Intersects::intersects(g, &geo::Point::new(x, y))
                };
                self.shapes.iter().find(theirs).map(|(u, _)| u)
            }
            other => other,
        };
        (unit, found.filter(|v| v.shape.kind == ShapeKind::Component))
    }

    /// Shapes whose unit code contains `q`, or whose unit or component type code is `q` (case aside).
    pub fn search(&self, q: &str) -> Vec<Found> {
        let q = q.trim().to_lowercase();
        self.shapes
            .iter()
            .filter_map(|(v, g)| {
                let code = v.unit_code.as_deref().unwrap_or(&v.shape.label).to_lowercase();
                let matched = if code.contains(&q) {
                    "unit_code"
                } else if v.shape.unit_type_code.as_deref().is_some_and(|c| c.to_lowercase() == q) {
                    "unit_type_code"
                } else if v.shape.component_type_code.as_deref().is_some_and(|c| c.to_lowercase() == q) {
                    "component_type_code"
                } else {
                    return None;
                };
                let b = g.bounding_rect()?;
                let at = g.interior_point()?;
                Some(Found { shape: v.clone(), matched, center: [at.x(), at.y()], bbox: [b.min().x, b.min().y, b.max().x, b.max().y] })
            })
            .collect()
    }
}

/// A search result: the shape, what matched, and where to jump.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Found {
    pub shape: ShapeView,
    /// `unit_code`, `unit_type_code` or `component_type_code`.
    pub matched: &'static str,
    /// A point inside the shape, in pixels.
    pub center: [f64; 2],
    /// `[min_x, min_y, max_x, max_y]` in pixels.
    pub bbox: [f64; 4],
}
