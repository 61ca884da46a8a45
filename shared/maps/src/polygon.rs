//! A shape's geometry: a GeoJSON Polygon (RFC 7946 §3.1.6) in the
//! overlay's pixel space, parsed into a [`geo::Polygon`] only when every
//! ring is well formed — at least four positions, closed (the last equals
//! the first), no vertex repeated in a row, wound by the right-hand rule
//! (the exterior counter-clockwise, holes clockwise, in the coordinates as
//! given), and simple (no edge crosses another, found with `geo`'s segment
//! intersection so the offending edges are named). What is left of OGC
//! validity (holes inside the exterior, rings that touch on a line) is
//! `geo`'s own [`geo::Validation`]. A rectangle is a polygon of four corners.

use geo::line_intersection::{line_intersection, LineIntersection};
use geo::{Coord, Line, LineString, Polygon, Validation, Winding};
use serde::{Deserialize, Serialize};

use crate::rules::{Rule, Violation, FIELD};

/// Most vertices of one ring.
pub const MAX_VERTICES: usize = 1000;
/// Most rings of one polygon: the exterior and ten holes.
pub const MAX_RINGS: usize = 11;
/// The largest coordinate accepted (a plan's pixels, or a world's metres).
pub const MAX_COORDINATE: f64 = 1e7;

/// The GeoJSON `type` of a shape's geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum PolygonType {
    Polygon,
}

/// A GeoJSON Polygon: rings of `[x, y]` positions, the exterior first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GeoJsonPolygon {
    #[serde(rename = "type")]
    pub kind: PolygonType,
    /// Rings of positions `[x, y]` (a third value, an altitude, is ignored).
    pub coordinates: Vec<Vec<Vec<f64>>>,
    /// RFC 7946's optional bounding box: accepted, never trusted (bounds are computed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<Vec<f64>>,
}

impl GeoJsonPolygon {
    /// The GeoJSON of `polygon` (rings closed, as stored).
    pub fn of(polygon: &Polygon<f64>) -> Self {
        let ring = |r: &LineString<f64>| r.coords().map(|c| vec![c.x, c.y]).collect();
        let coordinates = std::iter::once(polygon.exterior()).chain(polygon.interiors()).map(ring).collect();
        Self { kind: PolygonType::Polygon, coordinates, bbox: None }
    }

    /// The same rings wound by the right-hand rule (`geo`'s [`geo::Orient`]):
    /// what a GeoJSON import does first, since GIS tools often write
    /// exteriors clockwise. Anything that is not a ring of positions is left
    /// as it is, for [`GeoJsonPolygon::parse`] to name.
    pub fn reoriented(&self) -> GeoJsonPolygon {
        use geo::orient::{Direction, Orient};
        let ring = |positions: &Vec<Vec<f64>>| -> Option<LineString<f64>> {
            let coords: Option<Vec<Coord<f64>>> = positions
                .iter()
                .map(|p| match p.as_slice() {
                    [x, y] | [x, y, _] if x.is_finite() && y.is_finite() => Some(Coord { x: *x, y: *y }),
                    _ => None,
                })
                .collect();
            coords.filter(|c| c.len() >= 4 && c.first() == c.last()).map(LineString::new)
        };
        let rings: Option<Vec<LineString<f64>>> = self.coordinates.iter().map(ring).collect();
        match rings {
            Some(mut rings) if !rings.is_empty() => {
                let exterior = rings.remove(0);
                GeoJsonPolygon { bbox: None, ..GeoJsonPolygon::of(&Polygon::new(exterior, rings).orient(Direction::Default)) }
            }
            _ => self.clone(),
        }
    }

    /// The polygon, or every rule its rings break.
    pub fn parse(&self) -> Result<Polygon<f64>, Vec<Violation>> {
        if self.coordinates.is_empty() {
            return Err(vec![Violation::new(Rule::NotAPolygon, format!("{FIELD}.coordinates"), "a polygon needs its exterior ring")]);
        }
        if self.coordinates.len() > MAX_RINGS {
            let message = format!("at most {MAX_RINGS} rings (the exterior and {} holes)", MAX_RINGS - 1);
            return Err(vec![Violation::new(Rule::NotAPolygon, format!("{FIELD}.coordinates"), message)]);
        }
        let mut problems = Vec::new();
        let mut rings = Vec::new();
        for (r, positions) in self.coordinates.iter().enumerate() {
            match ring(r, positions) {
                Ok(ls) => rings.push(ls),
                Err(v) => problems.push(v),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut rings = rings.into_iter();
        let exterior = rings.next().expect("one ring at least");
        let polygon = Polygon::new(exterior, rings.collect());
        let invalid: Vec<Violation> = polygon
            .validation_errors()
            .into_iter()
            .map(|e| Violation::new(Rule::InvalidHole, format!("{FIELD}.coordinates"), e.to_string()))
            .collect();
        if invalid.is_empty() {
            Ok(polygon)
        } else {
            Err(invalid)
        }
    }
}

/// Ring `r` as a closed, simple line string wound the right way.
fn ring(r: usize, positions: &[Vec<f64>]) -> Result<LineString<f64>, Violation> {
    let mut coords = Vec::with_capacity(positions.len());
    for (v, p) in positions.iter().enumerate() {
        match p.as_slice() {
            [x, y] | [x, y, _] if x.abs() <= MAX_COORDINATE && y.abs() <= MAX_COORDINATE => coords.push(Coord { x: *x, y: *y }),
            _ => {
                let message = format!("a position is [x, y] of numbers within ±{MAX_COORDINATE}");
                return Err(Violation::at_vertex(Rule::NotAPosition, r, v, message));
            }
        }
    }
    if coords.len() < 4 {
        return Err(Violation::at_ring(Rule::TooFewPoints, r, "a ring has at least four positions, the last equal to the first"));
    }
    if coords.len() > MAX_VERTICES + 1 {
        return Err(Violation::at_ring(Rule::TooManyPoints, r, format!("a ring has at most {MAX_VERTICES} vertices")));
    }
    let last = coords.len() - 1;
    if coords[0] != coords[last] {
        return Err(Violation::at_vertex(Rule::RingNotClosed, r, last, "the last position must equal the first"));
    }
    if let Some(v) = (1..coords.len()).find(|&v| coords[v] == coords[v - 1]) {
        return Err(Violation::at_vertex(Rule::RepeatedVertex, r, v, format!("repeats vertex {}", v - 1)));
    }
    if let Some((i, j)) = crossing(&coords) {
        let message = format!("the edge from vertex {i} crosses the edge from vertex {j}");
        return Err(Violation::at_vertex(Rule::SelfIntersection, r, i, message));
    }
    let ls = LineString::new(coords);
    let (ccw, wanted) = (ls.is_ccw(), r == 0);
    if ccw != wanted {
        let message = if wanted {
            "the exterior ring runs counter-clockwise (the right-hand rule, RFC 7946)"
        } else {
            "a hole runs clockwise (the right-hand rule, RFC 7946)"
        };
        return Err(Violation::at_ring(Rule::Winding, r, message));
    }
    Ok(ls)
}

/// The first two edges of a closed ring that cross or overlap: edges that
/// share no vertex and meet at all, or neighbours that fold back on each
/// other. Edge `i` runs from vertex `i` to `i + 1`.
fn crossing(coords: &[Coord<f64>]) -> Option<(usize, usize)> {
    let n = coords.len() - 1;
    let edge = |i: usize| Line::new(coords[i], coords[i + 1]);
    for i in 0..n {
        for j in i + 1..n {
            let neighbours = j == i + 1 || (i == 0 && j == n - 1);
            match line_intersection(edge(i), edge(j)) {
                Some(LineIntersection::Collinear { .. }) => return Some((i, j)),
                Some(_) if !neighbours => return Some((i, j)),
                _ => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn poly(rings: &[&[(f64, f64)]]) -> GeoJsonPolygon {
        GeoJsonPolygon {
            kind: PolygonType::Polygon,
            coordinates: rings.iter().map(|r| r.iter().map(|(x, y)| vec![*x, *y]).collect()).collect(),
            bbox: None,
        }
    }

    fn refused(p: &GeoJsonPolygon) -> (Rule, String) {
        let v = p.parse().unwrap_err().remove(0);
        (v.rule, v.field)
    }

    const SQUARE: &[(f64, f64)] = &[(0., 0.), (10., 0.), (10., 10.), (0., 10.), (0., 0.)];

    #[test]
    fn a_well_formed_square_with_a_hole_parses() {
        let hole = [(2., 2.), (2., 4.), (4., 4.), (4., 2.), (2., 2.)];
        let p = poly(&[SQUARE, &hole]).parse().unwrap();
        assert_eq!(p.interiors().len(), 1);
        assert_eq!(GeoJsonPolygon::of(&p), poly(&[SQUARE, &hole]), "round trip");
    }

    #[test]
    fn each_ring_rule_names_its_ring_or_vertex() {
        let c = |r: usize, v: usize| format!("geom_geojson.coordinates.{r}.{v}");
        assert_eq!(refused(&poly(&[&[(0., 0.), (1., 0.), (0., 0.)]])), (Rule::TooFewPoints, "geom_geojson.coordinates.0".into()));
        assert_eq!(refused(&poly(&[&[(0., 0.), (10., 0.), (10., 10.), (0., 10.)]])), (Rule::RingNotClosed, c(0, 3)));
        assert_eq!(refused(&poly(&[&[(0., 0.), (10., 0.), (10., 0.), (10., 10.), (0., 0.)]])), (Rule::RepeatedVertex, c(0, 2)));
        // A bow tie: the edge from vertex 0 crosses the edge from vertex 2.
        assert_eq!(refused(&poly(&[&[(0., 0.), (10., 10.), (10., 0.), (0., 10.), (0., 0.)]])), (Rule::SelfIntersection, c(0, 0)));
        // A spike folding back on its neighbour.
        assert_eq!(
            refused(&poly(&[&[(0., 0.), (10., 0.), (5., 0.), (5., 5.), (0., 0.)]])),
            (Rule::SelfIntersection, c(0, 0)),
            "neighbours that overlap on a line"
        );
        let clockwise: Vec<(f64, f64)> = SQUARE.iter().rev().copied().collect();
        assert_eq!(refused(&poly(&[&clockwise])), (Rule::Winding, "geom_geojson.coordinates.0".into()));
        let ccw_hole = [(2., 2.), (4., 2.), (4., 4.), (2., 4.), (2., 2.)];
        assert_eq!(refused(&poly(&[SQUARE, &ccw_hole])), (Rule::Winding, "geom_geojson.coordinates.1".into()));
        let outside = [(20., 20.), (20., 24.), (24., 24.), (24., 20.), (20., 20.)];
        assert_eq!(refused(&poly(&[SQUARE, &outside])).0, Rule::InvalidHole);
        let mut bad = poly(&[SQUARE]);
        bad.coordinates[0][2] = vec![1.0];
        assert_eq!(refused(&bad), (Rule::NotAPosition, c(0, 2)));
        bad.coordinates[0][2] = vec![1e300, 10.0];
        assert_eq!(refused(&bad), (Rule::NotAPosition, c(0, 2)), "no coordinate so large the geometry overflows");
        assert_eq!(refused(&poly(&[])).0, Rule::NotAPolygon);
    }

    #[test]
    fn an_import_rewinds_clockwise_rings_and_leaves_the_rest_to_the_rules() {
        let clockwise: Vec<(f64, f64)> = SQUARE.iter().rev().copied().collect();
        let ccw_hole = [(2., 2.), (4., 2.), (4., 4.), (2., 4.), (2., 2.)];
        let fixed = poly(&[&clockwise, &ccw_hole]).reoriented();
        assert!(fixed.parse().is_ok(), "{fixed:?}");
        let open = poly(&[&[(0., 0.), (10., 0.), (10., 10.), (0., 10.)]]);
        assert_eq!(open.reoriented(), open, "not a ring: unchanged, for the rules to name");
    }

    #[test]
    fn the_body_reads_as_geojson() {
        let body = serde_json::json!({"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 0]]]});
        let p: GeoJsonPolygon = serde_json::from_value(body).unwrap();
        assert!(p.parse().is_ok());
        assert!(serde_json::from_value::<GeoJsonPolygon>(serde_json::json!({"type": "Point", "coordinates": [1, 2]})).is_err());
    }
}
