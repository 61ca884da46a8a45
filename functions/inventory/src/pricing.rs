//! Prices (the spec's `unit_price_history`): every change writes the price
//! and a history entry in one transaction and emits `unit.price.changed`.
//! A change a tenant policy holds (`unit.price.update`: the spec's example
//! is finance approving overrides above $5k) waits for its approval. A
//! price may also be set to take effect later: the unit keeps it as its
//! `scheduled_price`, and the inventory clock applies it at its time.
//!
//! History entries live in the unit's collection: `PRICE#{at}#{id}`.

use crm_events::audit::AuditExt;
use crm_events::DomainEvent;
use crm_inventory::unit::Unit;
use crm_kernel::{AppError, Currency, EntityId, TenantId, Timestamp, UserId};
use crm_store::tx::Condition;
use crm_store::{item, keys, Item, Key, Store, StoreError, Tx};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::catalogue;

/// The approvable action of a price change.
pub const PRICE_UPDATE: &str = "unit.price.update";

/// One entry of a unit's price history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PriceEntry {
    pub id: EntityId,
    pub unit_id: EntityId,
    /// Minor units.
    pub price: i64,
    pub currency: Currency,
    /// The price before (none for the first).
    pub previous_price: Option<i64>,
    pub effective_at: Timestamp,
    /// Who set it (the system for a scheduled price that came due: its setter).
    pub changed_by_user_id: UserId,
    #[serde(default)]
    pub note: Option<String>,
}

pub fn history_key(t: TenantId, unit: EntityId, at: Timestamp, id: EntityId) -> Key {
    Key { pk: keys::entity_pk(t, crm_inventory::unit::UNIT, &unit.to_string()), sk: format!("PRICE#{at}#{id}") }
}

/// The history entry of `unit`'s current price.
pub fn history_item(unit: &Unit, previous: Option<i64>, by: UserId, at: Timestamp) -> Result<Item, StoreError> {
    history_entry(unit, previous, by, at, None)
}

fn history_entry(unit: &Unit, previous: Option<i64>, by: UserId, at: Timestamp, note: Option<String>) -> Result<Item, StoreError> {
    let e = PriceEntry {
        id: EntityId::new(),
        unit_id: unit.id,
        price: unit.price,
        currency: unit.currency,
        previous_price: previous,
        effective_at: at,
        changed_by_user_id: by,
        note,
    };
    item::to_item(&history_key(unit.tenant_id, unit.id, at, e.id), &e)
}

/// What approvers of a price change see (and what a grant is bound to).
pub fn approval_payload(unit: &Unit, price: i64, currency: Currency, effective_at: Option<Timestamp>) -> Value {
    let change = price - unit.price;
    let pct = if unit.price > 0 { (change as f64 * 10_000.0 / unit.price as f64).round() / 100.0 } else { 100.0 };
    json!({
        "unit_code": unit.fields.code, "project_id": unit.project_id, "building_id": unit.building_id,
        "from_price": unit.price, "to_price": price, "currency": currency,
        "change": change, "change_abs": change.abs(), "change_pct": pct, "change_pct_abs": pct.abs(),
        "effective_at": effective_at,
    })
}

/// A price, its currency, who set it and why.
pub struct PriceChange {
    pub price: i64,
    pub currency: Currency,
    pub by: UserId,
    pub note: Option<String>,
}

/// Writes `change` as `unit`'s price now, in `tx` (a consumed grant, maybe),
/// with its history entry and `event` (`unit.price.changed`, its data filled here).
pub async fn apply_now(store: &Store, unit: &Unit, change: PriceChange, mut event: DomainEvent, tx: Tx) -> Result<Unit, StoreError> {
    let PriceChange { price, currency, by, note } = change;
    let now = Timestamp::now();
    let next = unit.next(now, |u| {
        u.price = price;
        u.currency = currency;
        u.scheduled_price = None;
    });
    event.data = json!({
        "code": next.fields.code, "from_price": unit.price, "to_price": price, "currency": currency, "note": note,
        "availability": catalogue::availability(Some(unit), Some(&next)),
    });
    let tx = tx
        .put_if("unit", next.to_item()?, Condition::version_is(unit.version))
        .put("price_history", history_entry(&next, Some(unit.price), by, now, note)?)
        .emit_audited(&event);
    store.transact(tx).await?;
    Ok(next)
}

/// The clock's input when a scheduled price comes due.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PriceDue {
    pub tenant_id: TenantId,
    pub unit_id: EntityId,
    pub scheduled_id: EntityId,
}

/// Applies a scheduled price that came due, unless it was replaced or
/// cancelled since (then nothing). Idempotent under Scheduler's
/// at-least-once delivery: the unit's version decides.
pub async fn on_due(store: &Store, due: PriceDue) -> Result<Value, AppError> {
    let t = due.tenant_id;
    let Some(unit) = store.get_as::<Unit>(&Unit::key(t, due.unit_id)).await? else {
        return Ok(json!({ "outcome": "skipped", "reason": "no such unit" }));
    };
    let Some(sp) = unit.scheduled_price.clone().filter(|s| s.id == due.scheduled_id) else {
        return Ok(json!({ "outcome": "skipped", "reason": "replaced or applied" }));
    };
    let event = catalogue::system_event(t, crm_events::types::UNIT_PRICE_CHANGED, unit.id, Value::Null);
    let change = PriceChange { price: sp.price, currency: sp.currency, by: sp.set_by, note: Some("scheduled".into()) };
    match apply_now(store, &unit, change, event, Tx::new()).await {
        Ok(next) => Ok(json!({ "outcome": "applied", "price": next.price })),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::Conflict("the unit changed meanwhile; the schedule retries".into())),
        Err(e) => Err(e.into()),
    }
}

/// The schedule name of a scheduled price.
pub fn schedule_name(id: EntityId) -> String {
    format!("price-{id}")
}
