//! `GET /v1/deals/{id}/history` — the deal's stage changes, oldest first:
//! from and to which stage, who, when, and the seconds spent in the stage
//! left; plus `seconds_in_current_stage`. One Query of the deal's partition.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::{item, Query};

use crate::App;
use crm_deals::deal::Deal;
use crm_deals::history::{StageChange, HISTORY};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let asked: HistoryQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let d = super::load(app, &call).await?;
    let q = Query::table(p.tenant_id, Deal::key(p.tenant_id, d.id).pk).sk_begins_with(HISTORY).limit(limit).after(cursor);
    let page = app.store.query(q).await?;
    let entries: Vec<StageChange> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    let now = Timestamp::now().unix_seconds();
    Ok(Reply::ok(History {
        deal_id: d.id,
        stage_id: d.stage_id,
        seconds_in_current_stage: (now - d.stage_entered_at.unix_seconds()).max(0),
        entries,
        next_cursor: page.next_cursor,
    }))
}

/// A deal's stage history, oldest first.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct History {
    pub deal_id: crm_kernel::EntityId,
    pub stage_id: crm_kernel::EntityId,
    pub seconds_in_current_stage: i64,
    pub entries: Vec<StageChange>,
    pub next_cursor: Option<String>,
}

/// The query parameters of `DealHistory`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}
