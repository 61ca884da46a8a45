//! How an overlay's pixels map to the world (`POST /v1/maps/overlays/{id}/align`):
//!
//! * `simple` — a scale (world units per pixel) and an offset:
//!   `X = scale·x + offset_x`, `Y = scale·y + offset_y`;
//! * `georef` — an affine transform `X = a·x + b·y + c`, `Y = d·x + e·y + f`
//!   fitted by least squares to three or more control points (pixel →
//!   world). Each point's residual (the distance between where the
//!   transform puts its pixel and its world position) is reported, and a
//!   fit whose root-mean-square residual is above the tolerance is refused.
//!
//! The world is the overlay's SRID (default 3857, Web Mercator metres;
//! degrees are refused): areas and perimeters are measured on the
//! transformed geometry with `geo`, in ground metres — Web Mercator's
//! stretch at the shape's latitude divided out. With exactly three points
//! the fit is exact (its residual is 0), so four or more are what let the
//! tolerance catch a misplaced one.

use geo::{AffineOps, AffineTransform, Area, Centroid, Euclidean, Length, Polygon};
use serde::{Deserialize, Serialize};

use crate::rules::{Rule, Violation};

/// The SRID of a world with no other said (Web Mercator, metres).
pub const DEFAULT_SRID: u32 = 3857;
/// The largest root-mean-square residual a georeferencing may have, in
/// world units, unless the request says otherwise.
pub const DEFAULT_TOLERANCE: f64 = 1.0;
/// Most control points.
pub const MAX_CONTROL_POINTS: usize = 50;
/// The least roundness of the control points' spread (on either side) a fit accepts.
const MIN_SPREAD: f64 = 1e-6;
/// The largest world coordinate (Web Mercator's extent, about ±20 037 508 m, with a margin).
pub const MAX_WORLD: f64 = 2.1e7;
/// The most world units one pixel may span.
pub const MAX_SCALE: f64 = 10_000.0;
/// The largest tolerance a georeferencing may ask for.
pub const MAX_TOLERANCE: f64 = 1_000.0;
/// The WGS 84 radius Web Mercator projects on (metres).
const MERCATOR_RADIUS: f64 = 6_378_137.0;
/// SRIDs in degrees, not metres: refused as a world for measures.
const GEOGRAPHIC_SRIDS: &[u32] = &[4326, 4258, 4269];

/// One control point: a pixel of the overlay and where it is in the world.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlPoint {
    /// `[x, y]` in the overlay's pixels.
    pub pixel: [f64; 2],
    /// `[X, Y]` in the SRID's units.
    pub world: [f64; 2],
}

/// The body of `POST /v1/maps/overlays/{id}/align`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum AlignmentInput {
    Simple {
        /// World units (metres) per pixel, above 0.
        scale: f64,
        #[serde(default)]
        offset_x: f64,
        #[serde(default)]
        offset_y: f64,
        #[serde(default)]
        srid: Option<u32>,
    },
    Georef {
        /// Three or more, not all on one line.
        control_points: Vec<ControlPoint>,
        #[serde(default)]
        srid: Option<u32>,
        /// The largest root-mean-square residual accepted (default 1.0 world unit).
        #[serde(default)]
        tolerance: Option<f64>,
    },
}

crm_kernel::named_enum! {
    /// How an overlay was aligned.
    pub enum Method { Simple = "simple", Georef = "georef" }
}

/// An overlay's alignment, as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Alignment {
    pub method: Method,
    /// `[a, b, c, d, e, f]`: `X = a·x + b·y + c`, `Y = d·x + e·y + f`.
    pub transform: [f64; 6],
    pub srid: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub control_points: Vec<ControlPoint>,
    /// Georef: each control point's residual, in world units.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub residuals: Vec<f64>,
    /// Georef: their root mean square.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual_rms: Option<f64>,
}

/// A shape's size: in pixels always, in world units once aligned.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Measures {
    pub area_px: f64,
    pub perimeter_px: f64,
    pub area_sqm: Option<f64>,
    pub perimeter_m: Option<f64>,
}

/// Whether `srid` is a world in degrees (refused for measures).
pub fn is_geographic(srid: u32) -> bool {
    GEOGRAPHIC_SRIDS.contains(&srid)
}

impl Measures {
    /// To two decimals, as stored and shown.
    pub fn rounded(self) -> Measures {
        let r = |v: f64| (v * 100.0).round() / 100.0;
        Measures {
            area_px: r(self.area_px),
            perimeter_px: r(self.perimeter_px),
            area_sqm: self.area_sqm.map(r),
            perimeter_m: self.perimeter_m.map(r),
        }
    }
}

impl AlignmentInput {
    /// The alignment, or the rule it breaks.
    pub fn fit(&self) -> Result<Alignment, Violation> {
        let srid = match self {
            AlignmentInput::Simple { srid, .. } | AlignmentInput::Georef { srid, .. } => srid.unwrap_or(DEFAULT_SRID),
        };
        if !(1024..=999_999).contains(&srid) {
            return Err(Violation::new(Rule::NotAPosition, "srid", "must be an EPSG code from 1024 to 999999"));
        }
        if is_geographic(srid) {
            return Err(Violation::new(
                Rule::NotAPosition,
                "srid",
                "a world in degrees is not measured in metres: use 3857 or a projected SRID",
            ));
        }
        match self {
            AlignmentInput::Simple { scale, offset_x, offset_y, srid } => {
                if !(scale.is_finite() && *scale > 0.0 && *scale <= MAX_SCALE) {
                    return Err(Violation::new(Rule::NotAPosition, "scale", format!("must be a number above 0, at most {MAX_SCALE}")));
                }
                for (field, v) in [("offset_x", offset_x), ("offset_y", offset_y)] {
                    if !(v.is_finite() && v.abs() <= MAX_WORLD) {
                        return Err(Violation::new(Rule::NotAPosition, field, format!("must be a number within ±{MAX_WORLD}")));
                    }
                }
                Ok(Alignment {
                    method: Method::Simple,
                    transform: [*scale, 0.0, *offset_x, 0.0, *scale, *offset_y],
                    srid: srid.unwrap_or(DEFAULT_SRID),
                    control_points: Vec::new(),
                    residuals: Vec::new(),
                    residual_rms: None,
                })
            }
            AlignmentInput::Georef { control_points, srid, tolerance } => {
                for (i, p) in control_points.iter().enumerate() {
                    let fine = |v: &[f64; 2], max: f64| v.iter().all(|c| c.is_finite() && c.abs() <= max);
                    if !fine(&p.pixel, crate::polygon::MAX_COORDINATE) || !fine(&p.world, MAX_WORLD) {
                        let message =
                            format!("a pixel is within ±{}, a world position within ±{MAX_WORLD}", crate::polygon::MAX_COORDINATE);
                        return Err(Violation::new(Rule::NotAPosition, format!("control_points.{i}"), message));
                    }
                }
                if tolerance.is_some_and(|t| !(t.is_finite() && t > 0.0 && t <= MAX_TOLERANCE)) {
                    return Err(Violation::new(
                        Rule::NotAPosition,
                        "tolerance",
                        format!("must be a number above 0, at most {MAX_TOLERANCE}"),
                    ));
                }
                let transform = least_squares(control_points)?;
                if transform.iter().any(|v| !v.is_finite() || v.abs() > MAX_WORLD) {
                    return Err(Violation::new(
                        Rule::CollinearControlPoints,
                        "control_points",
                        "the control points give no usable transform",
                    ));
                }
                let residuals: Vec<f64> = control_points.iter().map(|p| residual(&transform, p)).collect();
                let rms = (residuals.iter().map(|r| r * r).sum::<f64>() / residuals.len() as f64).sqrt();
                let tolerance = tolerance.unwrap_or(DEFAULT_TOLERANCE);
                if rms.is_nan() || rms > tolerance {
                    let worst = residuals.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).unwrap_or(0);
                    let message =
                        format!("the fit's root-mean-square residual is {rms:.3}, above {tolerance}; point {worst} is the furthest");
                    return Err(Violation::new(Rule::ResidualTooLarge, format!("control_points.{worst}"), message));
                }
                Ok(Alignment {
                    method: Method::Georef,
                    transform,
                    srid: srid.unwrap_or(DEFAULT_SRID),
                    control_points: control_points.clone(),
                    residuals,
                    residual_rms: Some(rms),
                })
            }
        }
    }
}

fn affine(t: &[f64; 6]) -> AffineTransform<f64> {
    AffineTransform::new(t[0], t[1], t[2], t[3], t[4], t[5])
}

fn residual(t: &[f64; 6], p: &ControlPoint) -> f64 {
    let at = affine(t).apply(geo::coord! { x: p.pixel[0], y: p.pixel[1] });
    (at.x - p.world[0]).hypot(at.y - p.world[1])
}

/// The affine transform that best maps the points' pixels to their world
/// positions (least squares). Both sides are centred on their means first,
/// so the normal equations are a 2 × 2 system for the linear part, solved
/// once for `X` and once for `Y`; the offsets follow from the means.
fn least_squares(points: &[ControlPoint]) -> Result<[f64; 6], Violation> {
    if points.len() < 3 || points.len() > MAX_CONTROL_POINTS {
        let message = format!("georeferencing takes 3 to {MAX_CONTROL_POINTS} control points");
        return Err(Violation::new(Rule::ControlPointCount, "control_points", message));
    }
    if let Some(i) = points.iter().position(|p| p.pixel.iter().chain(&p.world).any(|v| !v.is_finite())) {
        return Err(Violation::new(Rule::NotAPosition, format!("control_points.{i}"), "positions are finite numbers"));
    }
    let n = points.len() as f64;
    let mean = |f: fn(&ControlPoint) -> f64| points.iter().map(f).sum::<f64>() / n;
    let (mx, my, mwx, mwy) = (mean(|p| p.pixel[0]), mean(|p| p.pixel[1]), mean(|p| p.world[0]), mean(|p| p.world[1]));
    let (mut sxx, mut sxy, mut syy, mut sx_wx, mut sy_wx, mut sx_wy, mut sy_wy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for p in points {
        let (x, y, wx, wy) = (p.pixel[0] - mx, p.pixel[1] - my, p.world[0] - mwx, p.world[1] - mwy);
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
        sx_wx += x * wx;
        sy_wx += y * wx;
        sx_wy += x * wy;
        sy_wy += y * wy;
    }
    let det = sxx * syy - sxy * sxy;
    // How round the pixels' spread is, whatever its rotation and scale: 1 for a
    // circle of points, 0 for a line (4·det / trace² of their scatter matrix).
    let spread = 4.0 * det / ((sxx + syy) * (sxx + syy));
    if !det.is_finite() || spread.is_nan() || spread < MIN_SPREAD {
        return Err(Violation::new(Rule::CollinearControlPoints, "control_points", "the control points' pixels lie on (or near) one line"));
    }
    let solve = |bx: f64, by: f64| ((syy * bx - sxy * by) / det, (sxx * by - sxy * bx) / det);
    let (a, b) = solve(sx_wx, sy_wx);
    let (d, e) = solve(sx_wy, sy_wy);
    // The world side may be degenerate too: a transform that folds the plan onto a line.
    let (fold, bound) = ((a * e - b * d).abs(), MIN_SPREAD * (a * a + b * b + d * d + e * e) / 2.0);
    if fold.is_nan() || fold < bound {
        return Err(Violation::new(
            Rule::CollinearControlPoints,
            "control_points",
            "the control points' world positions lie on (or near) one line",
        ));
    }
    Ok([a, b, mwx - a * mx - b * my, d, e, mwy - d * mx - e * my])
}

impl Alignment {
    /// `shape` in the world.
    pub fn to_world(&self, shape: &Polygon<f64>) -> Polygon<f64> {
        shape.affine_transform(&affine(&self.transform))
    }

    /// How many world units a ground metre spans at `shape`: Web Mercator
    /// stretches by `cosh(Y / R)` (the secant of the latitude) at northing `Y`;
    /// a projected SRID's units are taken as metres.
    fn stretch(&self, world: &Polygon<f64>) -> f64 {
        match (self.srid, world.centroid()) {
            (3857, Some(c)) => (c.y() / MERCATOR_RADIUS).cosh(),
            _ => 1.0,
        }
    }

    /// The shape's area and perimeter, in pixels and (aligned) in ground metres.
    pub fn measures(alignment: Option<&Alignment>, shape: &Polygon<f64>) -> Measures {
        let perimeter = |p: &Polygon<f64>| std::iter::once(p.exterior()).chain(p.interiors()).map(|r| Euclidean.length(r)).sum::<f64>();
        let world = alignment.map(|a| (a.to_world(shape), a));
        let stretched = world.as_ref().map(|(w, a)| (w, a.stretch(w)));
        Measures {
            area_px: shape.unsigned_area(),
            perimeter_px: perimeter(shape),
            area_sqm: stretched.map(|(w, k)| w.unsigned_area() / (k * k)),
            perimeter_m: stretched.map(|(w, k)| perimeter(w) / k),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;
    use proptest::prelude::*;

    fn points(t: [f64; 6], pixels: &[(f64, f64)]) -> Vec<ControlPoint> {
        pixels
            .iter()
            .map(|&(x, y)| ControlPoint { pixel: [x, y], world: [t[0] * x + t[1] * y + t[2], t[3] * x + t[4] * y + t[5]] })
            .collect()
    }

    fn georef(control_points: Vec<ControlPoint>, tolerance: Option<f64>) -> Result<Alignment, Violation> {
        AlignmentInput::Georef { control_points, srid: None, tolerance }.fit()
    }

    #[test]
    fn known_control_points_recover_their_transform() {
        // 0.05 m a pixel, rotated 30°, y flipped (image rows run down), placed in Cairo's Web Mercator metres.
        let (s, r) = (0.05, 30f64.to_radians());
        let t = [s * r.cos(), s * r.sin(), 3_500_000.0, s * r.sin(), -s * r.cos(), 3_500_000.0];
        let fit = georef(points(t, &[(0., 0.), (4000., 0.), (4000., 3000.), (0., 3000.)]), None).unwrap();
        for (got, want) in fit.transform.iter().zip(t) {
            assert!((got - want).abs() < 1e-6, "{:?} vs {t:?}", fit.transform);
        }
        assert!(fit.residual_rms.unwrap() < 1e-6);
        assert_eq!((fit.srid, fit.residuals.len()), (DEFAULT_SRID, 4));
    }

    #[test]
    fn a_bad_fit_and_a_line_of_points_are_refused() {
        let t = [0.1, 0.0, 0.0, 0.0, 0.1, 0.0];
        let mut pts = points(t, &[(0., 0.), (100., 0.), (100., 100.), (0., 100.)]);
        pts[2].world[0] += 5.0; // a point 5 m off
        let v = georef(pts.clone(), None).unwrap_err();
        assert_eq!(v.rule, Rule::ResidualTooLarge);
        assert!(v.field.starts_with("control_points.") && v.message.contains("1.250"), "{v:?}");
        assert!(georef(pts, Some(5.0)).is_ok(), "within a looser tolerance");
        let line = points(t, &[(0., 0.), (10., 10.), (20., 20.)]);
        assert_eq!(georef(line, None).unwrap_err().rule, Rule::CollinearControlPoints);
    }

    #[test]
    fn numbers_that_would_overflow_a_measure_are_refused_by_field() {
        let simple = |scale: f64, offset_x: f64, srid: Option<u32>| AlignmentInput::Simple { scale, offset_x, offset_y: 0.0, srid }.fit();
        assert_eq!(simple(1e300, 0.0, None).unwrap_err().field, "scale");
        assert_eq!(simple(0.05, f64::MAX, None).unwrap_err().field, "offset_x");
        assert_eq!(simple(0.05, 0.0, Some(0)).unwrap_err().field, "srid");
        let t = [0.1, 0.0, 0.0, 0.0, 0.1, 0.0];
        let pts = points(t, &[(0., 0.), (100., 0.), (100., 100.), (0., 100.)]);
        assert_eq!(georef(pts.clone(), Some(1e12)).unwrap_err().field, "tolerance", "no tolerance that accepts any fit");
        let mut far = pts;
        far[1].world[0] = 1e300;
        assert_eq!(georef(far, None).unwrap_err().field, "control_points.1");
    }

    #[test]
    fn shapes_measure_in_pixels_and_once_aligned_in_metres() {
        let square = polygon![(x: 0., y: 0.), (x: 100., y: 0.), (x: 100., y: 50.), (x: 0., y: 50.), (x: 0., y: 0.)];
        let none = Alignment::measures(None, &square);
        assert_eq!((none.area_px, none.perimeter_px, none.area_sqm), (5000.0, 300.0, None));
        let simple = AlignmentInput::Simple { scale: 0.1, offset_x: 10.0, offset_y: 20.0, srid: None }.fit().unwrap();
        let m = Alignment::measures(Some(&simple), &square);
        assert!((m.area_sqm.unwrap() - 50.0).abs() < 1e-9 && (m.perimeter_m.unwrap() - 30.0).abs() < 1e-9, "{m:?}");
        assert!(AlignmentInput::Simple { scale: 0.0, offset_x: 0.0, offset_y: 0.0, srid: None }.fit().is_err());
    }

    #[test]
    fn web_mercator_areas_are_ground_areas() {
        // At 30° N a ground metre spans sec 30° = 1.1547 Web Mercator metres.
        let (phi, r) = (30f64.to_radians(), 6_378_137.0);
        let northing = r * (std::f64::consts::FRAC_PI_4 + phi / 2.0).tan().ln();
        let scale = 10.0 / phi.cos() / 100.0; // 100 px are 10 ground metres
        let aligned = AlignmentInput::Simple { scale, offset_x: 3_500_000.0, offset_y: northing, srid: None }.fit().unwrap();
        let square = polygon![(x: 0., y: 0.), (x: 100., y: 0.), (x: 100., y: 100.), (x: 0., y: 100.), (x: 0., y: 0.)];
        let m = Alignment::measures(Some(&aligned), &square);
        assert!((m.area_sqm.unwrap() - 100.0).abs() < 0.2 && (m.perimeter_m.unwrap() - 40.0).abs() < 0.05, "{m:?}");
        let degrees = AlignmentInput::Simple { scale: 1e-5, offset_x: 31.0, offset_y: 30.0, srid: Some(4326) };
        assert_eq!(degrees.fit().unwrap_err().field, "srid");
    }

    #[test]
    fn a_thin_or_folded_spread_is_refused_whatever_its_scale() {
        let t = [0.1, 0.0, 0.0, 0.0, 0.1, 0.0];
        let thin = points(t, &[(0., 0.), (1000., 0.), (500., 0.001)]);
        assert_eq!(georef(thin, None).unwrap_err().rule, Rule::CollinearControlPoints);
        let tilted = points(t, &[(0., 0.), (1000., 1.0), (2000., 2.000001)]);
        assert_eq!(georef(tilted, None).unwrap_err().rule, Rule::CollinearControlPoints);
        let folded = [[0., 0.], [100., 0.], [0., 100.]]
            .iter()
            .zip([[0., 0.], [10., 10.], [20., 20.]])
            .map(|(p, w)| ControlPoint { pixel: *p, world: w });
        assert_eq!(georef(folded.collect(), None).unwrap_err().rule, Rule::CollinearControlPoints);
        let huge = points(t, &[(0., 0.), (1e200, 0.), (0., 1e200)]);
        assert!(georef(huge, None).is_err(), "an overflowing spread is refused, never a NaN transform");
        assert_eq!(georef(points(t, &[(0., 0.), (1., 0.)]), None).unwrap_err().rule, Rule::ControlPointCount);
    }

    proptest! {
        #[test]
        fn any_well_spread_affine_transform_is_recovered(
            a in 0.01f64..10.0, b in -5.0f64..5.0, c in -1e6f64..1e6,
            d in -5.0f64..5.0, e in 0.01f64..10.0, f in -1e6f64..1e6,
        ) {
            prop_assume!((a * e - b * d).abs() > 1e-3);
            let t = [a, b, c, d, e, f];
            let fit = georef(points(t, &[(0., 0.), (1000., 0.), (1000., 800.), (0., 800.), (500., 400.)]), None).unwrap();
            for (got, want) in fit.transform.iter().zip(t) {
                prop_assert!((got - want).abs() <= 1e-6 * want.abs().max(1.0));
            }
        }
    }
}
