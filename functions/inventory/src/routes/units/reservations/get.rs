//! `GET /v1/units/{id}/reservations` — the unit's reservations and holds,
//! active or ended, newest first (one Query of its collection).

use crm_http::{Call, Reply};
use crm_inventory::reservation::Reservation;
use crm_inventory::unit::UNIT;
use crm_kernel::AppError;
use crm_store::{item, keys, Query};

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let unit = catalogue::unit_of(&app.store, &call).await?;
    let (limit, cursor) = call.page()?;
    let q = Query::table(t, keys::entity_pk(t, UNIT, &unit.id.to_string()))
        .sk_begins_with("RESERVATION#")
        .descending()
        .limit(limit)
        .after(cursor);
    let page = app.store.query(q).await?;
    let all: Vec<Reservation> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    Ok(Reply::list(all, limit, page.next_cursor))
}
