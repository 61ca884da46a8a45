//! Manual status changes (the application layer of
//! [`crm_inventory::status::manual`]), shared by
//! `PATCH /v1/units/{id}/status` and the bulk edit: the status machine
//! decides; a sale to a reserved unit's deal converts its reservation; a
//! sale without a deal goes through the approvals gate; a sale tells
//! finance and marketing; a bulk change tells the owner of the unit's deal.

use crm_approvals::request::ApprovalRequest;
use crm_auth::Principal;
use crm_events::audit::AuditExt;
use crm_events::{DomainEvent, EventType};
use crm_inventory::reservation::ReservationStatus;
use crm_inventory::status::{self, rule, Manual, UnitStatus};
use crm_inventory::unit::Unit;
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{keys, Tx};
use serde_json::{json, Value};

use crate::gate::{self, Gated};
use crate::{catalogue, reserving, App};

/// How the caller builds its events.
pub type MakeEvent<'a> = &'a (dyn Fn(EventType, Value) -> Result<DomainEvent, AppError> + Sync);

/// Where a change leaves the unit.
pub enum Changed {
    /// Written (or already there).
    Done(Box<Unit>),
    /// Waiting for an approval.
    Held(Box<ApprovalRequest>),
}

/// What is asked of a unit's status.
pub struct Ask {
    pub to: UnitStatus,
    pub deal_id: Option<EntityId>,
    pub note: Option<String>,
    /// A bulk change: the owner of the unit's deal is told.
    pub bulk: bool,
}

/// Moves `unit` to `ask.to` by hand, as the status machine allows.
pub async fn change(app: &App, p: &Principal, unit: Unit, ask: Ask, event: MakeEvent<'_>) -> Result<Changed, AppError> {
    let t = p.tenant_id;
    let Ask { to, deal_id, note, bulk } = ask;
    if deal_id.is_some() && to != UnitStatus::Sold {
        return Err(AppError::invalid("deal_id", "names the deal of a sale (status `sold`)"));
    }
    let reservation = match unit.reservation_id {
        Some(r) => Some(reserving::load(&app.store, t, unit.id, r).await?),
        None => None,
    };
    // A sale of a reserved unit is to the reservation's deal.
    let sold_to = deal_id.or(reservation.as_ref().and_then(|r| r.deal_id));
    let needs = status::manual(unit.status, to, reservation.is_some(), sold_to.is_some())?;
    if let (Some(r), Some(d)) = (&reservation, deal_id) {
        if r.deal_id.is_some_and(|x| x != d) {
            return Err(AppError::Refused {
                code: rule::RESERVATION_ACTIVE,
                message: "the unit is reserved for another deal: sell it to that one, or release the reservation".into(),
            });
        }
    }
    let tx = match needs {
        Manual::Unchanged => return Ok(Changed::Done(Box::new(unit))),
        Manual::Allowed => Tx::new(),
        Manual::NeedsApproval(action) => {
            let payload = json!({
                "unit_code": unit.fields.code, "project_id": unit.project_id, "from_status": unit.status, "to_status": to,
                "has_deal": false, "price": unit.price, "currency": unit.currency,
            });
            match gate::ask(&app.store, p, action, unit.id, payload, true).await? {
                Gated::Held(request) => return Ok(Changed::Held(request)),
                Gated::Go(tx) => tx,
            }
        }
    };
    let now = Timestamp::now();
    let why = if bulk { "bulk" } else { "manual" };
    let (next, tx) = match &reservation {
        // Sold to the reservation's deal: the reservation converts.
        Some(r) => {
            let (next, _, end) =
                reserving::end(&unit, r, ReservationStatus::Converted, "sold", reserving::After::Sold(sold_to), event, now)?;
            (next, tx.merge(end))
        }
        None => {
            let next = unit.next(now, |u| {
                u.status = to;
                u.deal_id = if to == UnitStatus::Sold { deal_id } else { None };
            });
            let mut data = reserving::status_data(&unit, &next, why);
            data["note"] = json!(note);
            let tx = tx
                .put_if("unit", next.to_item()?, Condition::version_is(unit.version))
                .emit_audited(&event(crm_events::types::UNIT_STATUS_CHANGED, data)?);
            (next, tx)
        }
    };
    let mut tx = match deal_id {
        Some(d) => tx.check("ref:deal_id", &keys::entity(t, "DEAL", d), Condition::exists()),
        None => tx,
    };
    if next.status == UnitStatus::Sold {
        let project = catalogue::project(&app.store, t, next.project_id).await?;
        tx = crate::notices::sold(&app.store, &next, &project, Some(p.user_id), tx).await?;
    }
    if bulk {
        if let Some(deal) = unit.deal_id.or(next.deal_id) {
            tx = crate::notices::deal_owner(&app.store, &unit, &next, deal, p.user_id, tx).await?;
        }
    }
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    if let Some(r) = &reservation {
        let _ = app.clock.cancel(&r.schedule_name()).await;
    }
    Ok(Changed::Done(Box::new(next)))
}
