//! The `map_units` worker: the units read model ([`UnitState`]) from the
//! `unit.*` events' snapshots, and the `unit_type_code` frozen on each
//! shape of the unit kept in step (the spec's trigger on `unit.updated`).
//! Every write is conditional on the unit's version, so an event delivered
//! twice, or late, changes nothing: a deal won turns the unit's shapes
//! sold once, and an older event never turns them back.

use crm_events::consumer::ConsumerError;
use crm_events::DomainEvent;
use crm_inventory::unit::Snapshot;
use crm_kernel::{EntityId, Limit, TenantId};
use crm_maps::map_shape::{self, MapShape};
use crm_maps::unit_state::UnitState;
use crm_store::tx::Condition;
use crm_store::{item, keys, AttributeValue, Index, Query, Store, StoreError, Tx};

pub const CONSUMER: &str = "map_units";

/// The read model's row an event leaves: the unit after it, or (deleted)
/// a row without a status one version past the last.
fn row(unit: EntityId, before: Option<Snapshot>, after: Option<Snapshot>) -> Option<UnitState> {
    match (before, after) {
        (_, Some(a)) => {
            Some(UnitState { unit_id: unit, code: a.code, unit_type_code: a.unit_type_code, status: Some(a.status), version: a.version })
        }
        (Some(b), None) => {
            Some(UnitState { unit_id: unit, code: b.code, unit_type_code: b.unit_type_code, status: None, version: b.version + 1 })
        }
        (None, None) => None,
    }
}

/// Applies one event: how many writes it made (0: not ours, or stale).
pub async fn follow(store: &Store, event: &DomainEvent) -> Result<usize, ConsumerError> {
    if !event.event_type.starts_with("unit.") || event.subject.kind != "unit" {
        return Ok(0);
    }
    let Ok(unit) = EntityId::parse(&event.subject.id) else { return Ok(0) };
    let (before, after) = Snapshot::of_event(&event.data);
    let Some(row) = row(unit, before, after) else { return Ok(0) };
    let t = event.tenant_id;
    let written = match store.transact(Tx::new().put_if("unit_state", row.to_item(t)?, row.over_older())).await {
        Ok(()) => 1,
        // Stale, or this event again: the row holds as new or newer. The
        // shapes are still brought up to the row (a redelivery after a
        // failed resync repairs them); each update is conditional on its own.
        Err(StoreError::ConditionFailed { .. }) => 0,
        Err(e) => return Err(e.into()),
    };
    let stored: Option<UnitState> = store.get_as(&UnitState::key(t, unit)).await?;
    let current = stored.unwrap_or(row);
    Ok(written + resync(store, t, &current).await?)
}

/// Each shape of the unit whose frozen `unit_type_code` is older than
/// `row` takes the unit's code now.
async fn resync(store: &Store, t: TenantId, row: &UnitState) -> Result<usize, ConsumerError> {
    if row.status.is_none() {
        return Ok(0);
    }
    let mut changed = 0;
    let mut cursor = None;
    loop {
        let q = Query::index(t, Index::ByParent, keys::by_parent_pk(t, "UNIT", &row.unit_id.to_string()))
            .sk_begins_with(map_shape::PREFIX)
            .limit(Limit::max())
            .after(cursor);
        let page = store.query(q).await?;
        for found in page.items {
            let shape: MapShape = item::from_item(found)?;
            if shape.unit_version >= row.version || shape.unit_type_code.as_deref() == Some(row.unit_type_code.as_str()) {
                continue;
            }
            let older = Condition::new("attribute_exists(pk) AND #uv < :uv AND #unit = :unit")
                .name("#uv", "unit_version")
                .value(":uv", AttributeValue::N(row.version.to_string()))
                .name("#unit", "unit_id")
                .value(":unit", AttributeValue::S(row.unit_id.to_string()))
                .name("#code", "unit_type_code")
                .value(":code", AttributeValue::S(row.unit_type_code.clone()))
                .name("#rev", "revision")
                .value(":one", AttributeValue::N("1".into()));
            // The shape's revision moves too: a route's write that read the shape before fails instead of undoing this.
            let expression = "SET #code = :code, #uv = :uv ADD #rev :one";
            let tx = Tx::new().update("shape", &MapShape::key(t, shape.overlay_id, shape.id), expression, older);
            match store.transact(tx).await {
                Ok(()) => changed += 1,
                Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(changed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_inventory::status::UnitStatus;

    fn snap(status: UnitStatus, code: &str, version: u64) -> Snapshot {
        Snapshot {
            project_id: EntityId::new(),
            status,
            unit_type_code: code.into(),
            price: 1,
            currency: crm_kernel::Currency::parse("EGP").unwrap(),
            code: "A-1".into(),
            version,
        }
    }

    #[test]
    fn a_deleted_unit_leaves_a_row_without_status_one_version_on() {
        let u = EntityId::new();
        let sold = row(u, Some(snap(UnitStatus::Reserved, "APT", 3)), Some(snap(UnitStatus::Sold, "APT", 4))).unwrap();
        assert_eq!((sold.status, sold.version), (Some(UnitStatus::Sold), 4));
        let gone = row(u, Some(snap(UnitStatus::Available, "VILLA", 7)), None).unwrap();
        assert_eq!((gone.status, gone.version, gone.unit_type_code.as_str()), (None, 8, "VILLA"));
        assert!(row(u, None, None).is_none());
    }
}
