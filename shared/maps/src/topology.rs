//! How a shape stands among the others: inside its overlay's image, not
//! overlapping another shape of its layer, a component inside its unit,
//! and a component's area against its measured `length_m × width_m`. Every
//! test is `geo`'s (bounding rectangles, boolean intersection, containment);
//! a failure names the vertex or the other shape.

use geo::{Area, BooleanOps, BoundingRect, Contains, Intersects, Point, Polygon};

use crate::rules::{Rule, Violation, FIELD};

/// Shared area below which two shapes only touch (square pixels): edges
/// drawn on the same line share none, a snapped vertex shares a sliver.
pub const OVERLAP_TOLERANCE_PX2: f64 = 0.5;
/// How far a component's drawn area may be from `length_m × width_m`: 5 %
/// of it, and never less than [`AREA_TOLERANCE_MIN_M2`] (the spec leaves
/// the epsilon open).
pub const AREA_TOLERANCE: f64 = 0.05;
pub const AREA_TOLERANCE_MIN_M2: f64 = 0.25;

/// The first exterior vertex outside the `width × height` image.
pub fn within_bounds(shape: &Polygon<f64>, width: f64, height: f64) -> Result<(), Violation> {
    match shape.exterior().coords().position(|c| c.x < 0.0 || c.y < 0.0 || c.x > width || c.y > height) {
        None => Ok(()),
        Some(v) => {
            let c = shape.exterior()[v];
            let message = format!("({}, {}) is outside the {width} × {height} image", c.x, c.y);
            Err(Violation::at_vertex(Rule::OutOfBounds, 0, v, message))
        }
    }
}

/// The first of `others` (id, geometry) that `shape` overlaps by more than
/// [`OVERLAP_TOLERANCE_PX2`], with the area they share.
pub fn overlap<'a, Id: std::fmt::Display>(
    shape: &Polygon<f64>,
    others: impl IntoIterator<Item = (Id, &'a Polygon<f64>)>,
) -> Result<(), Violation> {
    let Some(bounds) = shape.bounding_rect() else { return Ok(()) };
    for (id, other) in others {
        if !other.bounding_rect().is_some_and(|b| b.intersects(&bounds)) {
            continue;
        }
        let shared = shape.intersection(other).unsigned_area();
        if shared > OVERLAP_TOLERANCE_PX2 {
            let message = format!("overlaps shape {id} of the layer by {shared:.1} px²");
            return Err(Violation::new(Rule::Overlap, FIELD, message));
        }
    }
    Ok(())
}

/// `component` inside `unit` (touching its edge is inside), or the first
/// of the component's vertices that is not.
pub fn inside(component: &Polygon<f64>, unit: &Polygon<f64>, unit_shape: impl std::fmt::Display) -> Result<(), Violation> {
    if unit.contains(component) {
        return Ok(());
    }
    let v = component.exterior().coords().position(|c| !unit.intersects(&Point::from(*c))).unwrap_or(0);
    Err(Violation::at_vertex(Rule::NotInsideUnit, 0, v, format!("leaves the unit's shape {unit_shape}")))
}

/// A unit's shape redrawn still holds each of its component shapes (id,
/// geometry): the first it would leave outside.
pub fn holds<'a, Id: std::fmt::Display>(
    unit: &Polygon<f64>,
    components: impl IntoIterator<Item = (Id, &'a Polygon<f64>)>,
) -> Result<(), Violation> {
    match components.into_iter().find(|(_, c)| !unit.contains(*c)) {
        None => Ok(()),
        Some((id, _)) => Err(Violation::new(Rule::NotInsideUnit, FIELD, format!("the unit's component shape {id} would fall outside it"))),
    }
}

/// A component's drawn area (m²) against `length_m × width_m`, when both are known.
pub fn area_matches(area_m2: f64, length_m: Option<f64>, width_m: Option<f64>) -> Result<(), Violation> {
    let (Some(l), Some(w)) = (length_m, width_m) else { return Ok(()) };
    let expected = l * w;
    let tolerance = (expected * AREA_TOLERANCE).max(AREA_TOLERANCE_MIN_M2);
    if (area_m2 - expected).abs() <= tolerance {
        return Ok(());
    }
    let message = format!("the shape measures {area_m2:.2} m², the component {l} m × {w} m = {expected:.2} m² (± {tolerance:.2})");
    Err(Violation::new(Rule::AreaMismatch, FIELD, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(x: f64, y: f64, side: f64) -> Polygon<f64> {
        polygon![(x: x, y: y), (x: x + side, y: y), (x: x + side, y: y + side), (x: x, y: y + side), (x: x, y: y)]
    }

    #[test]
    fn a_shape_stays_in_its_image() {
        assert!(within_bounds(&square(0., 0., 100.), 100., 100.).is_ok(), "the edge is inside");
        let v = within_bounds(&square(50., 50., 60.), 100., 100.).unwrap_err();
        assert_eq!((v.rule, v.field.as_str()), (Rule::OutOfBounds, "geom_geojson.coordinates.0.1"));
    }

    #[test]
    fn neighbours_may_share_an_edge_but_not_an_area() {
        let a = square(0., 0., 10.);
        let beside = square(10., 0., 10.);
        let across = square(5., 5., 10.);
        assert!(overlap(&a, [("b", &beside)]).is_ok());
        let v = overlap(&a, [("b", &beside), ("c", &across)]).unwrap_err();
        assert_eq!(v.rule, Rule::Overlap);
        assert!(v.message.contains("shape c") && v.message.contains("25.0"), "{}", v.message);
    }

    #[test]
    fn a_component_stays_inside_its_unit() {
        let unit = square(0., 0., 10.);
        assert!(inside(&square(0., 0., 5.), &unit, "u").is_ok(), "touching the unit's edge");
        let v = inside(&square(8., 0., 5.), &unit, "u").unwrap_err();
        assert_eq!((v.rule, v.field.as_str()), (Rule::NotInsideUnit, "geom_geojson.coordinates.0.1"));
    }

    #[test]
    fn a_components_area_is_held_to_its_dimensions() {
        assert!(area_matches(12.3, Some(3.0), Some(4.0)).is_ok(), "within 5 %");
        assert!(area_matches(13.0, Some(3.0), Some(4.0)).is_err());
        assert!(area_matches(1.2, Some(1.0), Some(1.0)).is_ok(), "never tighter than 0.25 m²");
        assert!(area_matches(99.0, None, Some(4.0)).is_ok(), "nothing to hold it to");
    }
}
