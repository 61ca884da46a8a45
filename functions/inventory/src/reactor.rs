//! The inventory reactor (`inventory_reactor`, its own queue): units follow
//! their deal. `deal.won` sells the deal's units (a reservation for the deal
//! converts); `deal.lost` and `deal.deleted` release them (its reservation
//! released, a unit sold to it `available` again).
//!
//! The deal as it stands now decides, not the event: `deal.won` acts only
//! on a deal that is won now, `deal.lost` only on one lost now, and
//! `deal.deleted` only on one that is gone — a late event after a newer win,
//! loss or reopening finds the deal disagreeing and changes nothing. Each
//! unit's change is conditioned on the unit's version *and* on the deal
//! being as it was read (its version, or its absence), so a deal that moves
//! while the reactor works makes the delivery retry and re-decide. A unit
//! already where the deal puts it is skipped, so a redelivery changes
//! nothing.
//! The deal's units are those it lists (`units`) and those reserved for or
//! sold to it (`by_owner` `UNITDEAL#{deal}`).

use std::collections::BTreeSet;

use crm_deals::deal::{Deal, DealStatus};
use crm_events::audit::AuditExt;
use crm_events::consumer::ConsumerError;
use crm_events::types::{DEAL_DELETED, DEAL_LOST, DEAL_WON};
use crm_events::DomainEvent;
use crm_inventory::reservation::ReservationStatus;
use crm_inventory::status::UnitStatus;
use crm_inventory::unit::Unit;
use crm_kernel::{AppError, EntityId, Limit, TenantId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{Index, Query, Store, StoreError, Tx};

use crate::{catalogue, reserving};

pub const CONSUMER: &str = "inventory_reactor";

/// Where the deal puts its units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sell,
    Release(&'static str),
}

/// Reacts to one event; how many units changed.
pub async fn on_deal(store: &Store, clock: &crm_schedule::Scheduler, event: &DomainEvent) -> Result<usize, ConsumerError> {
    let wants = if event.is(DEAL_WON) {
        Outcome::Sell
    } else if event.is(DEAL_LOST) {
        Outcome::Release("deal lost")
    } else if event.is(DEAL_DELETED) {
        Outcome::Release("deal deleted")
    } else {
        return Ok(0);
    };
    let t = event.tenant_id;
    let deal_id = EntityId::parse(&event.subject.id).map_err(|_| ConsumerError::Unreadable("the subject is not a deal id".into()))?;
    let deal: Option<Deal> = store.get_as(&Deal::key(t, deal_id)).await?;
    let status = deal.as_ref().map(|d| d.status);
    let current = match wants {
        Outcome::Sell => status == Some(DealStatus::Won),
        Outcome::Release("deal lost") => status == Some(DealStatus::Lost),
        Outcome::Release(_) => status.is_none(),
    };
    if !current {
        // A stale event: the deal has moved on since.
        return Ok(0);
    }
    // The deal as read: every unit's transaction requires it unchanged.
    let seen = match &deal {
        Some(d) => Condition::version_is(d.version),
        None => Condition::not_exists(),
    };
    let actor = event.actor.user_id;
    let mut units: BTreeSet<EntityId> =
        event.data["unit_ids"].as_array().into_iter().flatten().filter_map(|v| v.as_str().and_then(|s| EntityId::parse(s).ok())).collect();
    units.extend(deal.iter().flat_map(|d| d.fields.units.iter().copied()));
    let mut cursor = None;
    loop {
        let page = store.query(Query::index(t, Index::ByOwner, Unit::deal_pk(t, deal_id)).limit(Limit::max()).after(cursor)).await?;
        units.extend(page.items.iter().filter_map(|it| it.get("id")?.as_s().ok().and_then(|s| EntityId::parse(s).ok())));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut changed = 0;
    for unit in units {
        changed += usize::from(follow(store, clock, t, unit, (deal_id, &seen), wants, actor).await?);
    }
    Ok(changed)
}

/// Moves one unit where the deal puts it; whether it changed.
async fn follow(
    store: &Store,
    clock: &crm_schedule::Scheduler,
    t: TenantId,
    unit_id: EntityId,
    (deal, seen): (EntityId, &Condition),
    wants: Outcome,
    actor: Option<crm_kernel::UserId>,
) -> Result<bool, ConsumerError> {
    for _ in 0..3 {
        let Some(unit) = store.get_as::<Unit>(&Unit::key(t, unit_id)).await? else {
            return Ok(false);
        };
        let reservation = match unit.reservation_id {
            Some(r) => match reserving::load(store, t, unit.id, r).await {
                Ok(r) => Some(r),
                Err(AppError::NotFound) => None,
                Err(e) => return Err(ConsumerError::Failed(e.to_string())),
            },
            None => None,
        };
        let event = |kind, data| Ok(catalogue::system_event(t, kind, unit.id, data));
        let now = Timestamp::now();
        let ours = reservation.as_ref().filter(|r| r.deal_id == Some(deal));
        let tx = match (wants, ours) {
            (Outcome::Sell, _) if unit.status == UnitStatus::Sold => return Ok(false),
            (Outcome::Sell, Some(r)) => {
                reserving::end(&unit, r, ReservationStatus::Converted, "deal won", reserving::After::Sold(Some(deal)), &event, now)
                    .map(|x| x.2)
            }
            (Outcome::Sell, None) if unit.status == UnitStatus::Available && reservation.is_none() => {
                let next = unit.next(now, |u| {
                    u.status = UnitStatus::Sold;
                    u.deal_id = Some(deal);
                });
                event(crm_events::types::UNIT_STATUS_CHANGED, reserving::status_data(&unit, &next, "deal won")).and_then(
                    |e: DomainEvent| Ok(Tx::new().put_if("unit", next.to_item()?, Condition::version_is(unit.version)).emit_audited(&e)),
                )
            }
            (Outcome::Sell, None) => {
                tracing::warn!(unit = %unit.id, deal = %deal, status = %unit.status, "a won deal's unit is not available to it; left as it is");
                return Ok(false);
            }
            (Outcome::Release(why), Some(r)) => {
                reserving::end(&unit, r, ReservationStatus::Released, why, reserving::After::Available, &event, now).map(|x| x.2)
            }
            (Outcome::Release(why), None) if unit.status == UnitStatus::Sold && unit.deal_id == Some(deal) => {
                let next = unit.next(now, |u| {
                    u.status = UnitStatus::Available;
                    u.deal_id = None;
                });
                event(crm_events::types::UNIT_STATUS_CHANGED, reserving::status_data(&unit, &next, why)).and_then(|e: DomainEvent| {
                    Ok(Tx::new().put_if("unit", next.to_item()?, Condition::version_is(unit.version)).emit_audited(&e))
                })
            }
            (Outcome::Release(_), None) => return Ok(false),
        };
        let mut tx = tx.map_err(|e: AppError| ConsumerError::Failed(e.to_string()))?;
        let failed = |e: AppError| ConsumerError::Failed(e.to_string());
        if wants != Outcome::Sell {
            tx = crate::waitlist::tell_first(store, &unit, tx).await.map_err(failed)?;
        }
        if wants == Outcome::Sell {
            let project = catalogue::project(store, t, unit.project_id).await.map_err(failed)?;
            let sold = Unit { status: UnitStatus::Sold, deal_id: Some(deal), ..unit.clone() };
            tx = crate::notices::sold(store, &sold, &project, actor, tx).await.map_err(failed)?;
        }
        let tx = tx.check("deal", &Deal::key(t, deal), seen.clone());
        match store.transact(tx).await {
            Ok(()) => {
                if let Some(r) = ours {
                    let _ = clock.cancel(&r.schedule_name()).await;
                }
                return Ok(true);
            }
            // The deal moved meanwhile: the delivery retries and decides again.
            Err(StoreError::ConditionFailed { label }) if label == "deal" => {
                return Err(ConsumerError::Failed("the deal changed while its units followed it; retried".into()))
            }
            // The unit changed meanwhile: look again.
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ConsumerError::Failed(format!("unit {unit_id} kept changing; retried")))
}
