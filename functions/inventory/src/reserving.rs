//! Reserving units (the application layer of [`crm_inventory::reservation`]):
//! taking a unit for a buyer or a courtesy hold, ending it (released,
//! expired, converted by a sale), extending it.
//!
//! Taking is one transaction conditioned on the unit's version: of any
//! number of concurrent reservations of one unit exactly one commits; the
//! others re-read the unit, find it taken, and answer `409
//! UNIT_NOT_AVAILABLE`. A courtesy hold also takes a place in its rep's
//! counter of holds (`holds_per_user`) in the same transaction. Each term
//! has its own one-time schedule on the inventory clock; an expiry that
//! finds its reservation ended, extended or converted does nothing.

use crm_auth::Principal;
use crm_events::audit::AuditExt;
use crm_events::DomainEvent;
use crm_inventory::project::Project;
use crm_inventory::reservation::{self, Kind, Reservation, ReservationStatus};
use crm_inventory::status::{self, UnitStatus};
use crm_inventory::unit::Unit;
use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_store::tx::Condition;
use crm_store::{keys, usage, AttributeValue, Store, StoreError, Tx};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::catalogue;

/// What a reservation is asked for (parsed by the route).
pub struct Ask {
    pub kind: Kind,
    pub contact_id: Option<EntityId>,
    pub deal_id: Option<EntityId>,
    pub expires_at: Option<Timestamp>,
    pub note: Option<String>,
}

/// The clock's input when a term ends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Expiry {
    pub tenant_id: TenantId,
    pub unit_id: EntityId,
    pub reservation_id: EntityId,
    /// The term (the reservation's `extensions` when scheduled).
    pub term: u32,
}

impl Expiry {
    pub fn of(r: &Reservation) -> Self {
        Self { tenant_id: r.tenant_id, unit_id: r.unit_id, reservation_id: r.id, term: r.extensions }
    }
}

/// The status a unit has under a reservation of `kind`.
pub fn held_status(kind: Kind) -> UnitStatus {
    match kind {
        Kind::Reservation => UnitStatus::Reserved,
        Kind::CourtesyHold => UnitStatus::Hold,
    }
}

/// A rep's active holds in one project: the counter its `holds_per_user` limits.
fn holds_counter(project: EntityId) -> String {
    format!("project_{project}")
}

fn holds_take(tx: Tx, t: TenantId, user: UserId, project: EntityId, max: u32) -> Tx {
    usage::take_at(tx, "holds", &keys::user_holds(t, &user.to_string()), &holds_counter(project), i64::from(max), None)
}

fn holds_release(tx: Tx, t: TenantId, user: UserId, project: EntityId) -> Tx {
    let c = Condition::new("#c > :zero")
        .name("#c", &holds_counter(project))
        .value(":zero", AttributeValue::N("0".into()))
        .value(":one", AttributeValue::N("1".into()));
    tx.update("holds_release", &keys::user_holds(t, &user.to_string()), "SET #c = #c - :one", c)
}

/// Takes `unit` (read at `unit.version`) for `ask`, under `project`'s
/// policy. Retries on a lost race only to find out whether the unit is
/// still free; answers the winner's unit and reservation.
pub async fn reserve(
    store: &Store,
    clock: &crm_schedule::Scheduler,
    p: &Principal,
    mut unit: Unit,
    project: &Project,
    ask: Ask,
    event: &(dyn Fn(crm_events::EventType, Value) -> Result<DomainEvent, AppError> + Sync),
) -> Result<(Unit, Reservation), AppError> {
    let t = p.tenant_id;
    let now = Timestamp::now();
    let expires_at = reservation::expiry(&project.reservation_policy, ask.kind, now, ask.expires_at)?;
    for _ in 0..5 {
        status::reservable(unit.status, unit.reservation_id.is_some())?;
        let r = Reservation {
            id: EntityId::new(),
            tenant_id: t,
            unit_id: unit.id,
            project_id: unit.project_id,
            kind: ask.kind,
            status: ReservationStatus::Active,
            contact_id: ask.contact_id,
            deal_id: ask.deal_id,
            reserved_by: p.user_id,
            reserved_at: now,
            expires_at,
            extensions: 0,
            deposit: None,
            note: ask.note.clone(),
            ended_at: None,
            end_reason: None,
            version: 1,
        };
        let next = unit.next(now, |u| {
            u.status = held_status(ask.kind);
            u.reservation_id = Some(r.id);
            u.deal_id = ask.deal_id;
        });
        let mut tx = Tx::new()
            .put_if("unit", next.to_item()?, Condition::version_is(unit.version))
            .put_new("reservation", r.to_item()?)
            .emit_audited(&event(
                crm_events::types::UNIT_RESERVATION_CREATED,
                json!({ "reservation_id": r.id, "kind": r.kind, "contact_id": r.contact_id, "deal_id": r.deal_id, "expires_at": r.expires_at, "code": unit.fields.code }),
            )?)
            .emit_audited(&event(crm_events::types::UNIT_STATUS_CHANGED, status_data(&unit, &next, "reserved"))?);
        if let Some(c) = ask.contact_id {
            tx = tx.check("ref:contact_id", &keys::entity(t, "CONTACT", c), Condition::exists());
        }
        if let Some(d) = ask.deal_id {
            tx = tx.check("ref:deal_id", &keys::entity(t, "DEAL", d), Condition::exists());
        }
        if ask.kind == Kind::CourtesyHold {
            tx = holds_take(tx, t, p.user_id, project.id, project.reservation_policy.holds_per_user);
        } else {
            tx = crate::notices::reserved(store, &next, project, Some(p.user_id), &r.expires_at.date(), tx).await?;
        }
        clock.at(&r.schedule_name(), r.expires_at, &crate::Clock::ReservationExpiry(Expiry::of(&r))).await?;
        match store.transact(tx).await {
            Ok(()) => return Ok((next, r)),
            // Lost the race (or collided with it): the unit decides.
            Err(StoreError::ConditionFailed { label }) if label == "unit" => {
                let _ = clock.cancel(&r.schedule_name()).await;
                unit = catalogue::unit(store, t, unit.id).await?;
            }
            Err(StoreError::TransactionConflict) => {
                let _ = clock.cancel(&r.schedule_name()).await;
                unit = catalogue::unit(store, t, unit.id).await?;
            }
            Err(StoreError::ConditionFailed { label }) if label == "holds" => {
                let _ = clock.cancel(&r.schedule_name()).await;
                return Err(AppError::LimitReached {
                    key: "reservation_policy.holds_per_user".into(),
                    limit: i64::from(project.reservation_policy.holds_per_user),
                });
            }
            Err(e @ StoreError::ConditionFailed { .. }) => {
                let _ = clock.cancel(&r.schedule_name()).await;
                return Err(catalogue::refused(p, e));
            }
            // An answer lost on the way (a timeout) may hide a commit: a
            // reservation that is there keeps its schedule.
            Err(e) => {
                if store.get(&Reservation::key(t, unit.id, r.id)).await?.is_some() {
                    return Ok((next, r));
                }
                let _ = clock.cancel(&r.schedule_name()).await;
                return Err(catalogue::refused(p, e));
            }
        }
    }
    Err(AppError::Refused { code: status::rule::UNIT_NOT_AVAILABLE, message: "the unit is being reserved by someone else".into() })
}

/// What `unit.status.changed` carries.
pub fn status_data(before: &Unit, after: &Unit, why: &str) -> Value {
    json!({
        "code": after.fields.code, "from": before.status, "to": after.status, "reason": why, "deal_id": after.deal_id,
        "reservation_id": after.reservation_id.or(before.reservation_id),
        "availability": catalogue::availability(Some(before), Some(after)),
    })
}

/// Where a unit goes when its reservation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Back on the market.
    Available,
    /// Sold, to this deal if any (a conversion).
    Sold(Option<EntityId>),
}

/// The transaction that ends `r` as `status` (released, expired, converted)
/// on `unit`: the reservation closed, the unit where `after` puts it, a
/// courtesy hold's place given back; both written under their versions.
pub fn end(
    unit: &Unit,
    r: &Reservation,
    status: ReservationStatus,
    reason: &str,
    after: After,
    event: &(dyn Fn(crm_events::EventType, Value) -> Result<DomainEvent, AppError> + Sync),
    now: Timestamp,
) -> Result<(Unit, Reservation, Tx), AppError> {
    let ended = r.end(status, reason, now);
    let next = unit.next(now, |u| {
        u.reservation_id = None;
        match after {
            After::Sold(deal) => {
                u.status = UnitStatus::Sold;
                u.deal_id = deal;
            }
            After::Available => {
                u.status = UnitStatus::Available;
                u.deal_id = None;
            }
        }
    });
    let kind = match status {
        ReservationStatus::Expired => crm_events::types::UNIT_RESERVATION_EXPIRED,
        ReservationStatus::Converted => crm_events::types::UNIT_RESERVATION_CONVERTED,
        _ => crm_events::types::UNIT_RESERVATION_RELEASED,
    };
    let mut tx = Tx::new()
        .put_if("unit", next.to_item()?, Condition::version_is(unit.version))
        .put_if("reservation", ended.to_item()?, Condition::version_is(r.version))
        .emit_audited(&event(
            kind,
            json!({ "reservation_id": r.id, "kind": r.kind, "reason": reason, "deal_id": r.deal_id, "code": unit.fields.code }),
        )?)
        .emit_audited(&event(crm_events::types::UNIT_STATUS_CHANGED, status_data(unit, &next, reason))?);
    if r.kind == Kind::CourtesyHold {
        tx = holds_release(tx, unit.tenant_id, r.reserved_by, r.project_id);
    }
    Ok((next, ended, tx))
}

/// The reservation `id` of `unit`.
pub async fn load(store: &Store, t: TenantId, unit: EntityId, id: EntityId) -> Result<Reservation, AppError> {
    store.get_as(&Reservation::key(t, unit, id)).await?.ok_or(AppError::NotFound)
}

/// The clock: a term came to its end. Skipped when the reservation ended,
/// was extended, or its unit moved on; otherwise the unit is released,
/// `unit.reservation.expired` and `unit.status.changed`.
pub async fn on_expiry(store: &Store, due: Expiry) -> Result<Value, AppError> {
    let t = due.tenant_id;
    let Some(r) = store.get_as::<Reservation>(&Reservation::key(t, due.unit_id, due.reservation_id)).await? else {
        return Ok(json!({ "outcome": "skipped", "reason": "no such reservation" }));
    };
    if !r.is_active() || r.extensions != due.term {
        return Ok(json!({ "outcome": "skipped", "reason": "ended or extended" }));
    }
    let unit = catalogue::unit(store, t, r.unit_id).await?;
    if unit.reservation_id != Some(r.id) {
        return Ok(json!({ "outcome": "skipped", "reason": "the unit moved on" }));
    }
    let event = |kind, data| Ok(catalogue::system_event(t, kind, unit.id, data));
    let (_, _, tx) = end(&unit, &r, ReservationStatus::Expired, "expired", After::Available, &event, Timestamp::now())?;
    let tx = crate::notices::expired(store, &unit, r.reserved_by, tx).await?;
    let tx = crate::waitlist::tell_first(store, &unit, tx).await?;
    match store.transact(tx).await {
        Ok(()) => Ok(json!({ "outcome": "expired", "reservation_id": r.id })),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::Conflict("the unit changed meanwhile; the schedule retries".into())),
        Err(e) => Err(e.into()),
    }
}
