//! `PATCH /v1/units/{id}/status` `{status, deal_id?, note?}` — a status
//! changed by hand, through the status machine
//! ([`crm_inventory::status::manual`]): `available`, `hold` and
//! `unavailable` move freely among themselves; `reserved` is reached only by
//! a reservation; a sold unit goes back only through its deal; a unit under
//! a reservation changes only through it, except to be `sold` to the
//! reservation's deal (which converts it). `sold` names its deal; without
//! one it needs an approval (`unit.status.sold`: `202` until approved; with
//! no policy, `422 APPROVAL_REQUIRED`). A refused move is `409` with the
//! rule's code. `If-Match` honoured. `unit.status.changed`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::reservation::ReservationStatus;
use crm_inventory::status::{self, rule, Manual, UnitStatus};
use crm_inventory::unit::Unit;
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{keys, Tx};
use serde_json::json;

use crate::gate::{self, Gated, GatedReply};
use crate::{catalogue, reserving, App};

/// The body of `UnitStatusSet`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StatusChange {
    /// Required: `available`, `sold`, `hold` or `unavailable`.
    #[schemars(extend("enum" = ["available", "reserved", "sold", "hold", "unavailable"]))]
    pub status: Input<String>,
    /// The deal a `sold` unit is sold to.
    pub deal_id: Input<EntityId>,
    #[schemars(length(max = 500))]
    pub note: Input<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let unit = catalogue::unit_of(&app.store, &call).await?;
    catalogue::if_match(&call, unit.version)?;
    let asked: StatusChange = call.json()?;
    let mut f = Fields::new();
    let to = f.one_of("status", asked.status, UnitStatus::ALL).and_then(|s| UnitStatus::parse(&s));
    f.require("status", to.is_some());
    let deal_id = f.entity_id("deal_id", asked.deal_id).flatten();
    let note = f.text("note", asked.note, 500).flatten();
    let to = f.finish(to)?.ok_or_else(|| AppError::invalid("status", "is required"))?;
    if deal_id.is_some() && to != UnitStatus::Sold {
        return Err(AppError::invalid("deal_id", "names the deal of a sale (status `sold`)"));
    }
    let reservation = match unit.reservation_id {
        Some(r) => Some(reserving::load(&app.store, t, unit.id, r).await?),
        None => None,
    };
    let needs = status::manual(unit.status, to, reservation.is_some(), deal_id.is_some())?;
    if let (Some(r), Some(d)) = (&reservation, deal_id) {
        if r.deal_id != Some(d) {
            return Err(AppError::Refused {
                code: rule::RESERVATION_ACTIVE,
                message: "the unit is reserved for another deal: sell it to that one, or release the reservation".into(),
            });
        }
    }
    let tx = match needs {
        Manual::Unchanged => return Ok(Reply::ok(&unit).etag(unit.version)),
        Manual::Allowed => Tx::new(),
        Manual::NeedsApproval(action) => {
            let payload = json!({
                "unit_code": unit.fields.code, "project_id": unit.project_id, "from_status": unit.status, "to_status": to,
                "has_deal": false, "price": unit.price, "currency": unit.currency,
            });
            match gate::ask(&app.store, p, action, unit.id, payload, true).await? {
                Gated::Held(request) => return Ok(GatedReply::<Unit>::held(request)),
                Gated::Go(tx) => tx,
            }
        }
    };
    let now = Timestamp::now();
    let event = |kind, data| catalogue::event(&call, kind, "unit", unit.id, data);
    let (next, tx) = match &reservation {
        // Sold to the reservation's deal: the reservation converts.
        Some(r) => {
            let (next, _, end) = reserving::end(&unit, r, ReservationStatus::Converted, "sold", deal_id, &event, now)?;
            (next, tx.merge(end))
        }
        None => {
            let next = unit.next(now, |u| {
                u.status = to;
                u.deal_id = if to == UnitStatus::Sold { deal_id } else { None };
            });
            let mut data = reserving::status_data(&unit, &next, "manual");
            data["note"] = json!(note);
            let tx = tx
                .put_if("unit", next.to_item()?, Condition::version_is(unit.version))
                .emit_audited(&event(crm_events::types::UNIT_STATUS_CHANGED, data)?);
            (next, tx)
        }
    };
    let tx = match deal_id {
        Some(d) => tx.check("ref:deal_id", &keys::entity(t, "DEAL", d), Condition::exists()),
        None => tx,
    };
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    if let Some(r) = &reservation {
        let _ = app.clock.cancel(&r.schedule_name()).await;
    }
    Ok(Reply::ok(&next).etag(next.version))
}
