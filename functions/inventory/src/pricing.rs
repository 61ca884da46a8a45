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
use crate::gate::{self, Gated};
use crate::statuses::Changed;
use crm_inventory::unit::ScheduledPrice;

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
/// The change is measured only within one currency: a change of currency
/// carries `currency_changed: true` and no `change*` fields (so no
/// threshold condition lets it through), and it always needs an approval.
pub fn approval_payload(unit: &Unit, price: i64, currency: Currency, effective_at: Option<Timestamp>) -> Value {
    let mut v = json!({
        "unit_code": unit.fields.code, "project_id": unit.project_id, "building_id": unit.building_id,
        "from_price": unit.price, "from_currency": unit.currency, "to_price": price, "currency": currency,
        "currency_changed": currency != unit.currency, "effective_at": effective_at,
    });
    if currency == unit.currency {
        let change = price - unit.price;
        let pct = if unit.price > 0 { (change as f64 * 10_000.0 / unit.price as f64).round() / 100.0 } else { 100.0 };
        v["change"] = json!(change);
        v["change_abs"] = json!(change.abs());
        v["change_pct"] = json!(pct);
        v["change_pct_abs"] = json!(pct.abs());
    }
    v
}

/// A price, its currency, who set it and why.
pub struct PriceChange {
    pub price: i64,
    pub currency: Currency,
    pub by: UserId,
    pub note: Option<String>,
    /// Applied by the clock (a scheduled price), not by `by` just now.
    pub by_system: bool,
}

/// Writes `change` as `unit`'s price now, in `tx` (a consumed grant, maybe),
/// with its history entry and `event` (`unit.price.changed`, its data filled here).
pub async fn apply_now(store: &Store, unit: &Unit, change: PriceChange, mut event: DomainEvent, tx: Tx) -> Result<Unit, AppError> {
    let PriceChange { price, currency, by, note, by_system } = change;
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
    let tx = crate::notices::price_changed(store, unit, &next, (!by_system).then_some(by), tx).await?;
    match store.transact(tx).await {
        Ok(()) => Ok(next),
        // The unit changed since it was read, or the grant was used by another request.
        Err(StoreError::ConditionFailed { label }) if label == "unit" || label == "approval_grant" => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
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
    let change = PriceChange { price: sp.price, currency: sp.currency, by: sp.set_by, note: Some("scheduled".into()), by_system: true };
    let next = apply_now(store, &unit, change, event, Tx::new()).await?;
    Ok(json!({ "outcome": "applied", "price": next.price }))
}

/// The schedule name of a scheduled price.
pub fn schedule_name(id: EntityId) -> String {
    format!("price-{id}")
}

/// What is asked of a unit's price.
pub struct Ask {
    pub price: i64,
    pub currency: Currency,
    /// A future time schedules it; `None` is now.
    pub effective_at: Option<Timestamp>,
    pub note: Option<String>,
}

/// Sets `unit`'s price as `ask` says, through the approvals gate (a tenant
/// policy on [`PRICE_UPDATE`]): now, or scheduled on the inventory clock.
/// Shared by `POST /v1/units/{id}/price` and the bulk edit.
pub async fn change(
    app: &crate::App,
    p: &crm_auth::Principal,
    unit: Unit,
    ask: Ask,
    event: crate::statuses::MakeEvent<'_>,
) -> Result<Changed, AppError> {
    let Ask { price, currency, effective_at, note } = ask;
    let now = Timestamp::now();
    if effective_at.is_none() && price == unit.price && currency == unit.currency {
        return Ok(Changed::Done(Box::new(unit)));
    }
    let required = currency != unit.currency;
    let tx = match gate::ask(&app.store, p, PRICE_UPDATE, unit.id, approval_payload(&unit, price, currency, effective_at), required).await?
    {
        Gated::Held(request) => return Ok(Changed::Held(request)),
        Gated::Go(tx) => tx,
    };
    let next = match effective_at {
        None => {
            let event = event(crm_events::types::UNIT_PRICE_CHANGED, json!({}))?;
            apply_now(&app.store, &unit, PriceChange { price, currency, by: p.user_id, note, by_system: false }, event, tx).await?
        }
        Some(at) => {
            let sp = ScheduledPrice { id: EntityId::new(), price, currency, effective_at: at, set_by: p.user_id };
            let replaced = unit.scheduled_price.clone();
            let next = unit.next(now, |u| u.scheduled_price = Some(sp.clone()));
            let name = schedule_name(sp.id);
            app.clock
                .at(&name, at, &crate::Clock::PriceDue(PriceDue { tenant_id: p.tenant_id, unit_id: unit.id, scheduled_id: sp.id }))
                .await?;
            let data = json!({ "code": unit.fields.code, "price": price, "currency": currency, "effective_at": at, "replaces": replaced.as_ref().map(|r| r.id), "note": note });
            let event = event(crm_events::types::UNIT_PRICE_SCHEDULED, data)?;
            let tx = tx.put_if("unit", next.to_item()?, Condition::version_is(unit.version)).emit_audited(&event);
            if let Err(e) = app.store.transact(tx).await {
                let _ = app.clock.cancel(&name).await;
                return Err(catalogue::refused(p, e));
            }
            if let Some(old) = replaced {
                // The replaced one would find itself replaced and do nothing; its schedule goes anyway.
                let _ = app.clock.cancel(&schedule_name(old.id)).await;
            }
            next
        }
    };
    Ok(Changed::Done(Box::new(next)))
}
