//! One module per route: `routes/{resource}/{action}.rs`; an overlay's
//! layers and shapes have their own folders, the public view its own.

pub mod layers;
pub mod overlays;
pub mod public;
pub mod shapes;
