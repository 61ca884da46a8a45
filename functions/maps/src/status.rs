//! What the read model says of the units shapes link ([`UnitState`]):
//! each shape's status colour, label and search terms come from here.

use std::collections::HashMap;

use crm_inventory::status::UnitStatus;
use crm_kernel::{AppError, EntityId, TenantId};
use crm_maps::map_shape::MapShape;
use crm_maps::unit_state::UnitState;
use crm_store::{item, Store};

/// A shape as the API shows it: with its unit's status, when it has one.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ShapeView {
    #[serde(flatten)]
    pub shape: MapShape,
    /// The linked unit's status (`null`: none known, or the unit was deleted).
    #[schemars(with = "Option<String>", extend("enum" = ["available", "reserved", "sold", "hold", "unavailable", null]))]
    pub status: Option<UnitStatus>,
    /// The linked unit's code, as the read model holds it.
    pub unit_code: Option<String>,
}

/// The read model's rows of the units `shapes` link.
pub async fn of(store: &Store, t: TenantId, shapes: &[MapShape]) -> Result<HashMap<EntityId, UnitState>, AppError> {
    let mut ids: Vec<EntityId> = shapes.iter().filter_map(|s| s.unit_id).collect();
    ids.sort();
    ids.dedup();
    let keys: Vec<_> = ids.iter().map(|u| UnitState::key(t, *u)).collect();
    let mut out = HashMap::new();
    // BatchGetItem takes 100 keys a call.
    for chunk in keys.chunks(100) {
        for found in store.get_many(chunk).await?.into_iter().flatten() {
            let row: UnitState = item::from_item(found)?;
            out.insert(row.unit_id, row);
        }
    }
    Ok(out)
}

/// `shapes` with their units' status.
pub async fn views(store: &Store, t: TenantId, shapes: Vec<MapShape>) -> Result<Vec<ShapeView>, AppError> {
    let states = of(store, t, &shapes).await?;
    Ok(shapes.into_iter().map(|s| view(s, &states)).collect())
}

pub fn view(shape: MapShape, states: &HashMap<EntityId, UnitState>) -> ShapeView {
    let state = shape.unit_id.and_then(|u| states.get(&u));
    ShapeView { status: state.and_then(|s| s.status), unit_code: state.map(|s| s.code.clone()), shape }
}
