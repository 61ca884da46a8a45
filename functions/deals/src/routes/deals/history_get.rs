//! `GET /v1/deals/{id}/history` — the deal's stage changes, oldest first:
//! from and to which stage, who, when, and the seconds spent in the stage
//! left; plus `seconds_in_current_stage`. One Query of the deal's partition.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::{item, Query};
use serde_json::json;

use crate::App;
use crm_deals::deal::Deal;
use crm_deals::history::{StageChange, HISTORY};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let (limit, cursor) = call.page()?;
    let d = super::load(app, &call).await?;
    let q = Query::table(p.tenant_id, Deal::key(p.tenant_id, d.id).pk).sk_begins_with(HISTORY).limit(limit).after(cursor);
    let page = app.store.query(q).await?;
    let entries: Vec<StageChange> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    let now = Timestamp::now().unix_seconds();
    Ok(Reply::ok(json!({
        "deal_id": d.id,
        "stage_id": d.stage_id,
        "seconds_in_current_stage": (now - d.stage_entered_at.unix_seconds()).max(0),
        "entries": entries,
        "next_cursor": page.next_cursor,
    })))
}
