//! `DELETE /v1/units/{id}/reservations/{reservationId}` — releases an
//! active reservation or hold: the unit is `available` again, its expiry
//! schedule goes; the first on its waitlist is told (`unit.available`).
//! `unit.reservation.released` and `unit.status.changed`.

use crm_http::{Call, Reply};
use crm_inventory::reservation::ReservationStatus;
use crm_kernel::{AppError, Timestamp};

use crate::{catalogue, reserving, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let (unit, r) = super::load(app, &call).await?;
    // Whoever made it, a manager or an admin.
    crm_records::write::require_edit(p, Some(r.reserved_by))?;
    if !r.is_active() {
        return Err(AppError::Refused { code: "RESERVATION_ENDED", message: format!("the reservation is {}", r.status) });
    }
    let event = |kind, data| catalogue::event(&call, kind, "unit", unit.id, data);
    let (_, _, tx) =
        reserving::end(&unit, &r, ReservationStatus::Released, "released", reserving::After::Available, &event, Timestamp::now())?;
    let tx = crate::waitlist::tell_first(&app.store, &unit, tx).await?;
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    let _ = app.clock.cancel(&r.schedule_name()).await;
    Ok(Reply::no_content())
}
