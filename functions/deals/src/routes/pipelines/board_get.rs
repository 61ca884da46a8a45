//! `GET /v1/pipelines/{id}/board?per_stage=20` — the kanban read model:
//! every stage in order with its deal `count`, `totals` per currency, and
//! its most recently changed deals (`per_stage`, 1–100; a stage's
//! `next_cursor` pages on with `GET /v1/deals?stage=`), plus the open
//! pipeline `value` and its `weighted` forecast.
//!
//! Cost: one Query of the pipeline partition (the pipeline and its
//! tallies) and one key-condition Query per stage, run concurrently. When
//! the caller sees only their team's deals (ADR 0013), counts and totals
//! are those of the deals listed, not of the whole pipeline.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Limit};
use crm_store::{item, Index, Query};
use serde_json::json;

use crate::App;
use crm_deals::board::Tally;
use crm_deals::deal::Deal;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let per_stage = Limit::parse(call.query("per_stage").as_deref()).map_err(|_| AppError::invalid("per_stage", "must be 1 to 100"))?;
    let (pipeline, tallies) = super::load_with_tallies(app, &call).await?;
    let owners = crm_auth::audience::owners(&app.store, &p).await?;
    let whole = owners.is_none();
    let columns = futures::future::try_join_all(pipeline.stages.iter().map(|s| {
        let mut q = Query::index(t, Index::ByParent, Deal::stage_pk(t, s.id)).descending().limit(per_stage);
        for f in crm_auth::audience::filters(&p, owners.as_ref(), None) {
            q = q.filter(f);
        }
        app.store.query(q)
    }))
    .await?;
    let mut stages = Vec::new();
    let mut tallied = Vec::new();
    for (s, page) in pipeline.stages.iter().zip(columns) {
        let deals: Vec<Deal> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
        let tally = if whole { tallies.stage(s) } else { Tally::of_deals(&deals) };
        stages.push(json!({
            "stage": s, "count": tally.count, "totals": tally.amounts,
            "deals": deals.iter().map(Deal::public).collect::<Vec<_>>(), "next_cursor": page.next_cursor,
        }));
        tallied.push((s, tally));
    }
    let (value, weighted) = crm_deals::board::open_value(tallied.iter().map(|(s, t)| (*s, t)));
    Ok(Reply::ok(json!({
        "pipeline": { "id": pipeline.id, "name": pipeline.name, "is_default": pipeline.is_default, "is_active": pipeline.is_active },
        "stages": stages,
        "value": value,
        "weighted": weighted.amounts,
        "scope": if whole { "pipeline" } else { "visible_deals" },
    })))
}
