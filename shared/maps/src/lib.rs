//! The map overlay domain (M3CoreCRM §8), pure: what the maps context
//! (issue 19) validates and measures a shape with, before any of it is
//! stored. Geometry is `geo`'s; nothing here is hand-written geometry.
//!
//! * [`polygon`]: a shape's GeoJSON Polygon, parsed only when its rings are
//!   well formed (closed, wound by the right-hand rule, simple).
//! * [`topology`]: a shape among the others (image bounds, overlap in a
//!   layer, a component inside its unit, area against its dimensions).
//! * [`alignment`]: pixels to the world (scale and offset, or an affine
//!   transform fitted to control points) and measures in metres.
//! * [`hit`]: the shape at a point.
//! * [`render`]: the plan as SVG, shapes in their status colours, labels, a legend.
//! * [`shape`]: a shape checked whole against its overlay, layer and unit.
//! * [`rules`]: the rule codes, and violations as field errors.
//!
//! And what the context stores: [`overlay`] (with its [`plan_file`]),
//! [`layer`], [`map_shape`] (a shape and its versions), [`unit_state`]
//! (the units read model) and [`public_link`].

pub mod alignment;
pub mod hit;
pub mod layer;
pub mod map_shape;
pub mod overlay;
pub mod plan_file;
pub mod polygon;
pub mod public_link;
pub mod render;
pub mod rules;
pub mod shape;
pub mod topology;
pub mod unit_state;

pub use polygon::GeoJsonPolygon;
pub use rules::{Rule, Violation};
