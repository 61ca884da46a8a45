//! `POST /v1/units/{id}/reservations/{reservationId}/extend` `{expires_at}`
//! — a later expiry. Within the project's `max_days` from when it was made,
//! it applies; past it, it needs an approval (`unit.reservation.extend`:
//! `202` until approved, then sent again; with no policy to ask, `422
//! APPROVAL_REQUIRED`). A courtesy hold is not extended (`409
//! HOLD_NOT_EXTENDABLE`). The new term gets its own schedule; the old one
//! goes. `unit.reservation.extended`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::reservation::{self, Extension, Reservation, EXTEND_BEYOND_POLICY};
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use serde_json::json;

use crate::gate::{self, Gated, GatedReply};
use crate::reserving::Expiry;
use crate::{catalogue, App, Clock};

/// The body of `UnitReservationExtend`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Extend {
    /// Required: the new expiry, later than the current one.
    pub expires_at: Input<Timestamp>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let (unit, r) = super::load(app, &call).await?;
    // Whoever made it, a manager or an admin.
    crm_records::write::require_edit(p, Some(r.reserved_by))?;
    let mut f = Fields::new();
    let until = f.time("expires_at", call.json::<Extend>()?.expires_at).flatten();
    f.require("expires_at", until.is_some());
    let until = f.finish(until)?.ok_or_else(|| AppError::invalid("expires_at", "is required"))?;
    let project = catalogue::project(&app.store, p.tenant_id, unit.project_id).await?;
    let now = Timestamp::now();
    let tx = match reservation::extension(&project.reservation_policy, &r, until, now)? {
        Extension::Within => crm_store::Tx::new(),
        Extension::NeedsApproval => {
            let payload = json!({
                "unit_code": unit.fields.code, "reservation_id": r.id, "deal_id": r.deal_id, "contact_id": r.contact_id,
                "reserved_at": r.reserved_at, "current_expires_at": r.expires_at, "new_expires_at": until,
                "days_total": (until.unix_seconds() - r.reserved_at.unix_seconds()) / 86_400, "policy_max_days": project.reservation_policy.max_days,
            });
            match gate::ask(&app.store, p, EXTEND_BEYOND_POLICY, unit.id, payload, true).await? {
                Gated::Held(request) => return Ok(GatedReply::<Reservation>::held(request)),
                Gated::Go(tx) => tx,
            }
        }
    };
    let next = Reservation { expires_at: until, extensions: r.extensions + 1, version: r.version + 1, ..r.clone() };
    app.clock.at(&next.schedule_name(), until, &Clock::ReservationExpiry(Expiry::of(&next))).await?;
    let data =
        json!({ "reservation_id": r.id, "from": r.expires_at, "to": until, "extensions": next.extensions, "code": unit.fields.code });
    let event = catalogue::event(&call, crm_events::types::UNIT_RESERVATION_EXTENDED, "unit", unit.id, data)?;
    let tx = tx
        .put_if("reservation", next.to_item()?, Condition::version_is(r.version))
        .check(
            "unit",
            &crm_inventory::unit::Unit::key(p.tenant_id, unit.id),
            Condition::exists_with("reservation_id", crm_store::AttributeValue::S(r.id.to_string())),
        )
        .emit_audited(&event);
    if let Err(e) = app.store.transact(tx).await {
        let _ = app.clock.cancel(&next.schedule_name()).await;
        return Err(catalogue::refused(p, e));
    }
    let _ = app.clock.cancel(&r.schedule_name()).await;
    let version = next.version;
    Ok(Reply::ok(GatedReply::Done(next)).etag(version))
}
