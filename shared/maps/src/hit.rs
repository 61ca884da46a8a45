//! The hit test (`GET /v1/maps/overlays/{id}/hit?x=&y=`): the shape at a
//! point. A point on an edge hits the shape; where shapes nest (a
//! component inside its unit) the smallest one wins, and the caller walks
//! from a component to its unit.

use geo::{Area, Intersects, Point, Polygon};

/// Of `shapes` (id, geometry), the smallest one covering `(x, y)`.
pub fn hit<'a, Id>(shapes: impl IntoIterator<Item = (Id, &'a Polygon<f64>)>, x: f64, y: f64) -> Option<Id> {
    let at = Point::new(x, y);
    shapes
        .into_iter()
        .filter(|(_, p)| p.intersects(&at))
        .min_by(|(_, a), (_, b)| a.unsigned_area().total_cmp(&b.unsigned_area()))
        .map(|(id, _)| id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn the_smallest_covering_shape_is_hit() {
        let unit = polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.), (x: 0., y: 0.)];
        let balcony = polygon![(x: 0., y: 0.), (x: 3., y: 0.), (x: 3., y: 3.), (x: 0., y: 3.), (x: 0., y: 0.)];
        let shapes = [("unit", &unit), ("balcony", &balcony)];
        assert_eq!(hit(shapes, 1.0, 1.0), Some("balcony"));
        assert_eq!(hit(shapes, 5.0, 5.0), Some("unit"));
        assert_eq!(hit(shapes, 10.0, 5.0), Some("unit"), "on the edge");
        assert_eq!(hit(shapes, 11.0, 5.0), None);
    }
}
