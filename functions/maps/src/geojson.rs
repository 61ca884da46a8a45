//! Shapes as GeoJSON (RFC 7946): the FeatureCollection an import reads
//! and an export writes. A feature is a Polygon in the overlay's pixels;
//! its `properties` link it (`kind`, `unit_id` or, on a building's overlay,
//! `unit_code`; a component's `unit_component_id` and `component_type_code`)
//! and label it. Properties a GIS tool adds are ignored on import. An
//! export's features carry what an import reads back, and the status.

use crm_kernel::fields::Input;
use crm_kernel::EntityId;
use crm_maps::polygon::GeoJsonPolygon;
use serde::{Deserialize, Serialize};

use crate::status::ShapeView;

/// The field naming a feature's own `type` (not one of its properties).
pub const FEATURE_TYPE: &str = "type";

/// Most features one import request takes.
pub const MAX_FEATURES: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum CollectionType {
    FeatureCollection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum FeatureType {
    Feature,
}

/// An imported FeatureCollection.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FeatureCollection {
    #[serde(rename = "type")]
    pub kind: CollectionType,
    /// At most 200 features.
    #[schemars(length(max = 200))]
    pub features: Vec<ImportFeature>,
}

/// One imported feature: each part is checked on its own, so every
/// problem is named under `geojson.features[i]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct ImportFeature {
    /// `Feature`; anything else is that feature's problem.
    #[serde(rename = "type", default)]
    pub kind: Input<FeatureType>,
    #[serde(default)]
    pub geometry: Input<GeoJsonPolygon>,
    #[serde(default)]
    pub properties: Input<FeatureProperties>,
}

/// What links and labels an imported feature (other properties are ignored).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct FeatureProperties {
    /// `unit` (the default) or `component`.
    #[schemars(extend("enum" = ["unit", "component"]))]
    pub kind: Option<String>,
    pub unit_id: Option<String>,
    /// On a building's overlay: the unit's code in the building, instead of `unit_id`.
    pub unit_code: Option<String>,
    pub unit_component_id: Option<String>,
    pub component_type_code: Option<String>,
    pub label: Option<String>,
}

/// An exported FeatureCollection.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Exported {
    #[serde(rename = "type")]
    pub kind: CollectionType,
    pub features: Vec<ExportFeature>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ExportFeature {
    #[serde(rename = "type")]
    pub kind: FeatureType,
    pub id: EntityId,
    pub geometry: GeoJsonPolygon,
    pub properties: ExportProperties,
}

/// What an exported feature says of its shape: what an import reads back, and more.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ExportProperties {
    #[schemars(extend("enum" = ["unit", "component"]))]
    pub kind: &'static str,
    pub label: String,
    pub layer_id: EntityId,
    pub unit_id: Option<EntityId>,
    pub unit_code: Option<String>,
    pub unit_type_code: Option<String>,
    pub unit_component_id: Option<EntityId>,
    pub component_type_code: Option<String>,
    pub status: Option<&'static str>,
    pub version: u64,
    pub area_px: f64,
    pub area_sqm: Option<f64>,
    pub perimeter_m: Option<f64>,
}

impl From<ShapeView> for ExportFeature {
    fn from(v: ShapeView) -> Self {
        let s = v.shape;
        ExportFeature {
            kind: FeatureType::Feature,
            id: s.id,
            properties: ExportProperties {
                kind: s.kind.as_str(),
                label: s.label,
                layer_id: s.layer_id,
                unit_id: s.unit_id,
                unit_code: v.unit_code,
                unit_type_code: s.unit_type_code,
                unit_component_id: s.unit_component_id,
                component_type_code: s.component_type_code,
                status: v.status.map(|st| st.as_str()),
                version: s.version,
                area_px: s.area_px,
                area_sqm: s.area_sqm,
                perimeter_m: s.perimeter_m,
            },
            geometry: s.geom_geojson,
        }
    }
}

/// A field error of one feature's check, named under the feature:
/// `geom_geojson…` becomes `geojson.features[i].geometry…`, a link's field
/// `geojson.features[i].properties.{field}`.
pub fn under(i: usize, e: crm_kernel::FieldError) -> crm_kernel::FieldError {
    let inside = in_feature(e);
    crm_kernel::FieldError::new(format!("geojson.features[{i}].{}", inside.field), inside.message)
}

/// A field error of one feature's check, named inside the feature (a
/// file's import reports it on the feature's row): `geom_geojson…` becomes
/// `geometry…`, a link's field `properties.{field}`.
pub fn in_feature(e: crm_kernel::FieldError) -> crm_kernel::FieldError {
    let field = match e.field.strip_prefix(crm_maps::rules::FIELD) {
        Some(rest) => format!("geometry{rest}"),
        None if e.field == FEATURE_TYPE => e.field,
        None => format!("properties.{}", e.field),
    };
    crm_kernel::FieldError::new(field, e.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_features_problems_are_named_under_it() {
        let g = under(3, crm_kernel::FieldError::new("geom_geojson.coordinates.0.2", "OUT_OF_BOUNDS: …"));
        assert_eq!(g.field, "geojson.features[3].geometry.coordinates.0.2");
        assert_eq!(under(0, crm_kernel::FieldError::new("unit_id", "no such unit")).field, "geojson.features[0].properties.unit_id");
        let inside = in_feature(crm_kernel::FieldError::new("geom_geojson.coordinates.0.1", "OUT_OF_BOUNDS: …"));
        assert_eq!((inside.field.as_str(), inside.message.as_str()), ("geometry.coordinates.0.1", "OUT_OF_BOUNDS: …"));
        let c: FeatureCollection = serde_json::from_value(json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {"unit_code": "A-1", "fill": "#fff"}},
        ]}))
        .unwrap();
        assert!(matches!(c.features[0].geometry, Input::Invalid(_)), "a bad geometry is that feature's problem");
        let odd: FeatureCollection = serde_json::from_value(json!({"type": "FeatureCollection", "features": [{"type": "Point"}]})).unwrap();
        assert!(matches!(odd.features[0].kind, Input::Invalid(_)), "and so is a bad type");
        assert_eq!(in_feature(crm_kernel::FieldError::new(FEATURE_TYPE, "must be Feature")).field, "type");
        assert!(matches!(&c.features[0].properties, Input::Given(p) if p.unit_code.as_deref() == Some("A-1")), "other properties ignored");
    }
}
