//! A broken geometry rule, and what to do about it: the validation report
//! and the editor's notice give both.

use crm_maps::alignment::Measures;
use crm_maps::rules::Rule;

/// What `MapShapeValidate` found.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Report {
    pub shape_id: crm_kernel::EntityId,
    pub valid: bool,
    pub problems: Vec<Problem>,
    pub measures: Option<Measures>,
}

/// One broken rule.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// The rule's code (`OVERLAP`, `NOT_INSIDE_UNIT`, …).
    pub rule: String,
    /// Where: `geom_geojson.coordinates.0.3`, `geom_geojson`, `unit_id`.
    pub field: String,
    pub message: String,
    pub suggestion: &'static str,
}

/// What fixes a shape that breaks `rule`.
pub fn suggestion(rule: Option<Rule>) -> &'static str {
    match rule {
        Some(Rule::NotAPolygon | Rule::NotAPosition) => "send a GeoJSON Polygon: rings of [x, y] numbers, the exterior first",
        Some(Rule::TooFewPoints) => "a ring needs at least three distinct corners and its first point repeated at the end",
        Some(Rule::TooManyPoints) => "simplify the outline: fewer vertices",
        Some(Rule::RingNotClosed) => "end the ring with its first point",
        Some(Rule::RepeatedVertex) => "remove the repeated vertex",
        Some(Rule::Winding) => "reverse the ring: the exterior runs counter-clockwise, holes clockwise",
        Some(Rule::SelfIntersection) => "move the vertex so that no two edges cross",
        Some(Rule::InvalidHole) => "keep each hole inside the exterior, apart from the other holes",
        Some(Rule::OutOfBounds) => "move the vertex inside the plan image",
        Some(Rule::Overlap) => "snap the shared edge to the neighbour's, or move the shape to another layer",
        Some(Rule::NotInsideUnit) => "draw the component inside its unit's shape (or redraw the unit's shape around it)",
        Some(Rule::AreaMismatch) => "redraw to the component's size, or correct its length_m and width_m",
        Some(Rule::CollinearControlPoints | Rule::ControlPointCount | Rule::ResidualTooLarge) => "check the control points",
        None => "link a unit and component of the overlay's project",
    }
}

/// A field error of a failed check (`"OVERLAP: overlaps shape …"`) as a problem.
pub fn problem(field: &str, message: &str) -> Problem {
    let (rule, text) = match message.split_once(": ") {
        Some((code, rest)) if Rule::parse(code).is_some() => (Rule::parse(code), rest),
        _ => (None, message),
    };
    Problem {
        rule: rule.map(|r| r.as_str().to_string()).unwrap_or_else(|| "LINK".into()),
        field: field.to_string(),
        message: text.to_string(),
        suggestion: suggestion(rule),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_error_names_its_rule_and_a_fix() {
        let p = problem("geom_geojson", "OVERLAP: overlaps shape 01J of the layer by 12.0 px²");
        assert_eq!((p.rule.as_str(), p.message.as_str()), ("OVERLAP", "overlaps shape 01J of the layer by 12.0 px²"));
        assert!(p.suggestion.contains("snap"));
        let link = problem("unit_id", "no such unit in this tenant");
        assert_eq!((link.rule.as_str(), link.message.as_str()), ("LINK", "no such unit in this tenant"));
    }
}
