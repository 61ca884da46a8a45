//! A unit's components: `GET|POST /v1/units/{id}/components`,
//! `PATCH|DELETE /v1/units/{id}/components/{componentId}`.

pub mod delete;
pub mod get;
pub mod patch;
pub mod post;

use crm_http::Call;
use crm_inventory::component::Component;
use crm_inventory::unit::Unit;
use crm_kernel::AppError;

use crate::{catalogue, App};

/// The unit `{id}` and its component `{componentId}` (`404` otherwise).
pub(crate) async fn load(app: &App, call: &Call) -> Result<(Unit, Component), AppError> {
    let unit = catalogue::unit_of(&app.store, call).await?;
    let id = catalogue::path_id(call, "componentId")?;
    let c = app.store.get_as::<Component>(&Component::key(unit.tenant_id, unit.id, id)).await?.ok_or(AppError::NotFound)?;
    Ok((unit, c))
}
