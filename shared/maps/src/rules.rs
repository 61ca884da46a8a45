//! What a shape's geometry can get wrong: each rule has a stable code, and
//! a [`Violation`] names the rule and where it is broken — the vertex
//! (`geom_geojson.coordinates.{ring}.{vertex}`), the ring, or the other
//! shape — so the API answers it as a field error.

use crm_kernel::FieldError;

/// The body field a shape's geometry is read from.
pub const FIELD: &str = "geom_geojson";

crm_kernel::named_enum! {
    /// A geometry rule.
    pub enum Rule {
        NotAPolygon = "NOT_A_POLYGON",
        NotAPosition = "NOT_A_POSITION",
        TooFewPoints = "TOO_FEW_POINTS",
        TooManyPoints = "TOO_MANY_POINTS",
        RingNotClosed = "RING_NOT_CLOSED",
        RepeatedVertex = "REPEATED_VERTEX",
        Winding = "WINDING",
        SelfIntersection = "SELF_INTERSECTION",
        InvalidHole = "INVALID_HOLE",
        OutOfBounds = "OUT_OF_BOUNDS",
        Overlap = "OVERLAP",
        NotInsideUnit = "NOT_INSIDE_UNIT",
        AreaMismatch = "AREA_MISMATCH",
        CollinearControlPoints = "COLLINEAR_CONTROL_POINTS",
        ControlPointCount = "CONTROL_POINT_COUNT",
        ResidualTooLarge = "RESIDUAL_TOO_LARGE"
    }
}

/// One broken rule, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub rule: Rule,
    /// The body field: `geom_geojson.coordinates.0.3`, `geom_geojson`, `control_points.2`.
    pub field: String,
    pub message: String,
}

impl Violation {
    pub fn new(rule: Rule, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { rule, field: field.into(), message: message.into() }
    }

    /// At vertex `vertex` of ring `ring` (0: the exterior).
    pub fn at_vertex(rule: Rule, ring: usize, vertex: usize, message: impl Into<String>) -> Self {
        Self::new(rule, format!("{FIELD}.coordinates.{ring}.{vertex}"), message)
    }

    /// On ring `ring` as a whole.
    pub fn at_ring(rule: Rule, ring: usize, message: impl Into<String>) -> Self {
        Self::new(rule, format!("{FIELD}.coordinates.{ring}"), message)
    }

    /// The API's field error: the rule's code leads the message.
    pub fn field_error(&self) -> FieldError {
        FieldError::new(self.field.clone(), format!("{}: {}", self.rule, self.message))
    }
}

/// The field errors of `violations`, for `AppError::invalid_fields`.
pub fn field_errors(violations: &[Violation]) -> Vec<FieldError> {
    violations.iter().map(Violation::field_error).collect()
}
