//! `GET /v1/units/{id}` — the unit with its components (by `sort_order`)
//! and its active reservation or hold.

use crm_http::{Call, Reply};
use crm_inventory::component::{self, Component};
use crm_inventory::reservation::Reservation;
use crm_inventory::unit::{Unit, UNIT};
use crm_kernel::{AppError, Limit};
use crm_store::{item, keys, Query};

use crate::{catalogue, App};

/// A unit as its detail page shows it.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct UnitView {
    #[serde(flatten)]
    pub unit: Unit,
    pub components: Vec<Component>,
    /// The active reservation or courtesy hold.
    #[serde(default)]
    pub reservation: Option<Reservation>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let unit = catalogue::unit_of(&app.store, &call).await?;
    let parts = Query::table(t, keys::entity_pk(t, UNIT, &unit.id.to_string())).sk_begins_with(component::PREFIX).limit(Limit::max());
    let reservation = async {
        match unit.reservation_id {
            Some(r) => Ok::<_, AppError>(app.store.get_as::<Reservation>(&Reservation::key(t, unit.id, r)).await?),
            None => Ok(None),
        }
    };
    let (page, reservation) = tokio::try_join!(async { Ok::<_, AppError>(app.store.query(parts).await?) }, reservation)?;
    let mut components: Vec<Component> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    components.sort_by_key(|c| (c.sort_order, c.created_at.to_string()));
    let version = unit.version;
    Ok(Reply::ok(UnitView { unit, components, reservation }).etag(version))
}
