//! A unit's reservations: `GET|POST /v1/units/{id}/reservations`,
//! `DELETE /v1/units/{id}/reservations/{reservationId}` (release), and
//! `POST …/{reservationId}/extend|deposit`.

pub mod delete;
pub mod deposit_post;
pub mod extend_post;
pub mod get;
pub mod post;

use crm_http::Call;
use crm_inventory::reservation::Reservation;
use crm_inventory::unit::Unit;
use crm_kernel::AppError;

use crate::{catalogue, reserving, App};

/// The unit `{id}` and its reservation `{reservationId}` (`404` otherwise).
pub(crate) async fn load(app: &App, call: &Call) -> Result<(Unit, Reservation), AppError> {
    let unit = catalogue::unit_of(&app.store, call).await?;
    let r = reserving::load(&app.store, unit.tenant_id, unit.id, catalogue::path_id(call, "reservationId")?).await?;
    Ok((unit, r))
}

/// A reservation and the unit it holds.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Reserved {
    pub reservation: Reservation,
    pub unit: Unit,
}
