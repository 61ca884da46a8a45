//! A shape checked whole, as `POST /v1/maps/overlays/{id}/shapes`,
//! `PATCH /v1/maps/shapes/{id}`, `POST /v1/maps/shapes/{id}/validate` and
//! the GeoJSON import will: its rings first ([`crate::polygon`]), then
//! every rule of its place at once ([`crate::topology`]) — inside the
//! image, overlapping no shape of its kind in its layer (a component lies
//! over its unit by design), a component inside its unit's shape and, once
//! the overlay is aligned, its area within tolerance of `length_m × width_m`
//! — with its measures in pixels and metres.

use geo::Polygon;

use crate::alignment::{Alignment, Measures};
use crate::polygon::GeoJsonPolygon;
use crate::rules::{Rule, Violation, FIELD};
use crate::topology;

crm_kernel::named_enum! {
    /// What a shape draws: a unit (linked by `unit_id`) or one of its
    /// components (linked by `unit_component_id` and its `component_type_code`).
    pub enum ShapeKind { Unit = "unit", Component = "component" }
}

crm_kernel::named_enum! {
    /// A layer of an overlay.
    pub enum LayerKind { Site = "site", Floor = "floor", Custom = "custom" }
}

/// What a shape is checked against.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    /// The overlay's image, in pixels.
    pub width_px: f64,
    pub height_px: f64,
    /// The overlay's alignment, when it has one.
    pub alignment: Option<&'a Alignment>,
    /// The other active shapes of the same kind in the same layer (id, geometry).
    pub neighbours: Vec<(String, &'a Polygon<f64>)>,
    /// A component: its unit's shape on this overlay (id, geometry), if drawn.
    pub unit_shape: Option<(String, &'a Polygon<f64>)>,
    /// A component: its `length_m` and `width_m`.
    pub dimensions: (Option<f64>, Option<f64>),
    /// A unit: its component shapes on this overlay (id, geometry), which it must still hold.
    pub components: Vec<(String, &'a Polygon<f64>)>,
}

/// A shape that passed: its geometry and its measures.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub polygon: Polygon<f64>,
    pub measures: Measures,
}

/// `geom` as a shape of `kind` in `ctx`, or every rule it breaks.
pub fn check(kind: ShapeKind, geom: &GeoJsonPolygon, ctx: &Context<'_>) -> Result<Checked, Vec<Violation>> {
    let polygon = geom.parse()?;
    let measures = Alignment::measures(ctx.alignment, &polygon);
    let mut problems = Vec::new();
    problems.extend(topology::within_bounds(&polygon, ctx.width_px, ctx.height_px).err());
    problems.extend(topology::overlap(&polygon, ctx.neighbours.iter().map(|(id, p)| (id, *p))).err());
    if kind == ShapeKind::Unit {
        problems.extend(topology::holds(&polygon, ctx.components.iter().map(|(id, p)| (id, *p))).err());
    }
    if kind == ShapeKind::Component {
        match &ctx.unit_shape {
            Some((id, unit)) => problems.extend(topology::inside(&polygon, unit, id).err()),
            None => problems.push(Violation::new(Rule::NotInsideUnit, FIELD, "the unit has no shape on this overlay yet: draw it first")),
        }
        if let Some(area) = measures.area_sqm {
            problems.extend(topology::area_matches(area, ctx.dimensions.0, ctx.dimensions.1).err());
        }
    }
    if problems.is_empty() {
        Ok(Checked { polygon, measures })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alignment::AlignmentInput;
    use geo::polygon;

    fn rect(x: f64, y: f64, w: f64, h: f64) -> GeoJsonPolygon {
        GeoJsonPolygon::of(&polygon![(x: x, y: y), (x: x + w, y: y), (x: x + w, y: y + h), (x: x, y: y + h), (x: x, y: y)])
    }

    fn rules(r: Result<Checked, Vec<Violation>>) -> Vec<Rule> {
        r.err().unwrap_or_default().into_iter().map(|v| v.rule).collect()
    }

    #[test]
    fn a_unit_is_checked_against_its_image_and_its_neighbours_all_at_once() {
        let neighbour = rect(0., 0., 100., 100.).parse().unwrap();
        let ctx = Context { width_px: 500.0, height_px: 400.0, neighbours: vec![("n1".into(), &neighbour)], ..Default::default() };
        let ok = check(ShapeKind::Unit, &rect(100., 0., 100., 100.), &ctx).unwrap();
        assert_eq!((ok.measures.area_px, ok.measures.area_sqm), (10_000.0, None), "not aligned: pixels only");
        assert_eq!(rules(check(ShapeKind::Unit, &rect(50., 350., 100., 100.), &ctx)), [Rule::OutOfBounds]);
        assert_eq!(
            rules(check(ShapeKind::Unit, &rect(-10., 50., 100., 100.), &ctx)),
            [Rule::OutOfBounds, Rule::Overlap],
            "every rule, once"
        );
        let bow_tie = GeoJsonPolygon {
            coordinates: vec![vec![vec![0., 0.], vec![9., 9.], vec![9., 0.], vec![0., 9.], vec![0., 0.]]],
            ..rect(0., 0., 1., 1.)
        };
        assert_eq!(rules(check(ShapeKind::Unit, &bow_tie, &ctx)), [Rule::SelfIntersection], "the rings first");
        let balcony = rect(150., 10., 20., 20.).parse().unwrap();
        let holding = Context { components: vec![("c1".into(), &balcony)], ..ctx.clone() };
        assert!(check(ShapeKind::Unit, &rect(100., 0., 100., 100.), &holding).is_ok());
        assert_eq!(
            rules(check(ShapeKind::Unit, &rect(100., 0., 40., 100.), &holding)),
            [Rule::NotInsideUnit],
            "redrawn, it would drop its balcony"
        );
    }

    #[test]
    fn a_component_lies_inside_its_unit_and_measures_up_to_its_dimensions() {
        let unit = rect(0., 0., 200., 100.).parse().unwrap();
        let aligned = AlignmentInput::Simple { scale: 0.05, offset_x: 0.0, offset_y: 0.0, srid: None }.fit().unwrap();
        let ctx = Context {
            width_px: 500.0,
            height_px: 400.0,
            alignment: Some(&aligned),
            unit_shape: Some(("u1".into(), &unit)),
            dimensions: (Some(3.0), Some(4.0)),
            ..Default::default()
        };
        // 60 × 80 px at 5 cm a pixel: 3 m × 4 m.
        let balcony = check(ShapeKind::Component, &rect(0., 0., 60., 80.), &ctx).unwrap();
        assert!((balcony.measures.area_sqm.unwrap() - 12.0).abs() < 1e-9 && (balcony.measures.perimeter_m.unwrap() - 14.0).abs() < 1e-9);
        assert_eq!(rules(check(ShapeKind::Component, &rect(0., 0., 100., 80.), &ctx)), [Rule::AreaMismatch]);
        assert_eq!(rules(check(ShapeKind::Component, &rect(180., 0., 60., 80.), &ctx)), [Rule::NotInsideUnit]);
        let undrawn = Context { unit_shape: None, ..ctx.clone() };
        assert_eq!(rules(check(ShapeKind::Component, &rect(0., 0., 60., 80.), &undrawn)), [Rule::NotInsideUnit]);
        let unaligned = Context { alignment: None, ..ctx };
        assert!(check(ShapeKind::Component, &rect(0., 0., 100., 80.), &unaligned).is_ok(), "no metres, no area rule");
    }
}
