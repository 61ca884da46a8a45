//! `POST /v1/units/{id}/reservations` `{kind?, contact_id, deal_id,
//! expires_at?, note?}` — reserves an available unit for a contact and a
//! deal until `expires_at` (default: the project's `default_days`; at most
//! its `max_days`), or, with `kind: "courtesy_hold"`, holds it for the
//! caller for the project's `hold_hours` without a deal (at most
//! `holds_per_user` at once, `422 LIMIT_REACHED`). One active reservation
//! per unit: of concurrent ones exactly one wins, the others answer
//! `409 UNIT_NOT_AVAILABLE`. Its expiry is scheduled on the inventory
//! clock. `unit.reservation.created` and `unit.status.changed`.

use crm_http::{Call, Reply};
use crm_inventory::reservation::Kind;
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, Timestamp};

use super::Reserved;
use crate::reserving::{self, Ask};
use crate::{catalogue, App};

/// The body of `UnitReserve`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewReservation {
    /// `reservation` (default) or `courtesy_hold`.
    #[schemars(extend("enum" = ["reservation", "courtesy_hold"]))]
    pub kind: Input<String>,
    /// The buyer: required for a reservation.
    pub contact_id: Input<EntityId>,
    /// The deal: required for a reservation, refused on a hold.
    pub deal_id: Input<EntityId>,
    /// Sooner than the policy's term, if wanted.
    pub expires_at: Input<Timestamp>,
    #[schemars(length(max = 500))]
    pub note: Input<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let unit = catalogue::unit_of(&app.store, &call).await?;
    let asked: NewReservation = call.json()?;
    let mut f = Fields::new();
    let kind = match asked.kind {
        Input::Absent => Some(Kind::Reservation),
        other => f.one_of("kind", other, Kind::ALL).and_then(|k| Kind::parse(&k)),
    };
    let contact_id = f.entity_id("contact_id", asked.contact_id).flatten();
    let deal_id = match kind {
        Some(Kind::CourtesyHold) => {
            f.refuse("deal_id", &asked.deal_id, "a courtesy hold has no deal: reserve the unit for one");
            None
        }
        _ => f.entity_id("deal_id", asked.deal_id).flatten(),
    };
    if kind == Some(Kind::Reservation) {
        f.require_because("contact_id", contact_id.is_some(), "a reservation is for a contact");
        f.require_because("deal_id", deal_id.is_some(), "a reservation is for a deal");
    }
    let expires_at = f.time("expires_at", asked.expires_at).flatten();
    let note = f.text("note", asked.note, 500).flatten();
    let kind = f.finish(kind)?.unwrap_or(Kind::Reservation);
    let project = catalogue::project(&app.store, p.tenant_id, unit.project_id).await?;
    let ask = Ask { kind, contact_id, deal_id, expires_at, note };
    let event = |kind, data| catalogue::event(&call, kind, "unit", unit.id, data);
    let (unit, reservation) = reserving::reserve(&app.store, &app.clock, p, unit.clone(), &project, ask, &event).await?;
    Ok(Reply::created(format!("/v1/units/{}/reservations/{}", unit.id, reservation.id), Reserved { reservation, unit }))
}
