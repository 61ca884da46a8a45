//! `GET /v1/units/{id}/components` — the unit's components by `sort_order`.

use crm_http::{Call, Reply};
use crm_inventory::component::{self, Component};
use crm_inventory::unit::UNIT;
use crm_kernel::{AppError, Limit};
use crm_store::{item, keys, Query};

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let unit = catalogue::unit_of(&app.store, &call).await?;
    let q = Query::table(t, keys::entity_pk(t, UNIT, &unit.id.to_string())).sk_begins_with(component::PREFIX).limit(Limit::max());
    let mut all: Vec<Component> = app.store.query(q).await?.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    all.sort_by_key(|c| (c.sort_order, c.created_at.to_string()));
    Ok(Reply::list(all, Limit::max(), None))
}
