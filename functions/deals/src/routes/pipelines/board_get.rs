//! `GET /v1/pipelines/{id}/board?per_stage=20` — the kanban read model:
//! every stage in order with its deal `count`, `totals` per currency, and
//! its most recently changed deals (`per_stage`, 1–100; a stage's
//! `next_cursor` pages on with `GET /v1/deals?stage=`), plus the open
//! pipeline `value` and its `weighted` forecast.
//!
//! Cost: one Query of the pipeline partition (the pipeline and its
//! tallies) and one key-condition Query per stage, run concurrently. When
//! the caller sees only their team's deals (ADR 0013), counts and totals
//! are those of the deals listed, not of the whole pipeline. A reader
//! without `deal.amount.read` gets no amounts at all: not the deals', not
//! the totals, the value or the weighted forecast (`hidden_fields`).

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Limit};
use crm_store::{item, Index, Query};
use std::collections::BTreeMap;

use crm_deals::deal::DealReply;
use crm_deals::pipeline::Stage;
use crm_kernel::EntityId;

use crate::App;
use crm_deals::board::Tally;
use crm_deals::deal::Deal;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    // Unknown or mistyped parameters are refused; the readers below interpret the rest.
    let _: BoardQuery = call.query_as()?;
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let per_stage = Limit::parse(call.query("per_stage").as_deref()).map_err(|_| AppError::invalid("per_stage", "must be 1 to 100"))?;
    let (pipeline, tallies) = super::load_with_tallies(app, &call).await?;
    let owners = crm_auth::audience::owners(&app.store, &p).await?;
    let whole = owners.is_none();
    let amounts = p.can(crm_auth::rbac::DEAL_AMOUNT_READ);
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
        stages.push(Column {
            stage: s.clone(),
            count: tally.count,
            totals: amounts.then(|| tally.amounts.clone()),
            deals: deals.iter().map(|d| d.public(&p)).collect(),
            next_cursor: page.next_cursor,
        });
        tallied.push((s, tally));
    }
    let (value, weighted) = crm_deals::board::open_value(tallied.iter().map(|(s, t)| (*s, t)));
    Ok(Reply::ok(Board {
        pipeline: PipelineRef {
            id: pipeline.id,
            name: pipeline.name.clone(),
            is_default: pipeline.is_default,
            is_active: pipeline.is_active,
        },
        stages,
        value: amounts.then_some(value),
        weighted: amounts.then_some(weighted.amounts),
        hidden_fields: if amounts { vec![] } else { vec!["amount"] },
        scope: if whole { "pipeline" } else { "visible_deals" },
    }))
}

/// The kanban board of a pipeline.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Board {
    pub pipeline: PipelineRef,
    /// Every stage in order.
    pub stages: Vec<Column>,
    /// Open deals: count and amounts per currency (absent without `deal.amount.read`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Tally>,
    /// Open amounts weighted by their stages' probabilities, per currency
    /// (absent without `deal.amount.read`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weighted: Option<BTreeMap<String, i64>>,
    /// `["amount"]` when the caller may not read amounts (absent otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden_fields: Vec<&'static str>,
    /// `pipeline` (all its deals) or `visible_deals` (the caller sees only some).
    pub scope: &'static str,
}

/// The pipeline a board shows.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct PipelineRef {
    pub id: EntityId,
    pub name: String,
    pub is_default: bool,
    pub is_active: bool,
}

/// One stage of a board.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Column {
    pub stage: Stage,
    pub count: i64,
    /// Amounts per currency, in minor units (absent without `deal.amount.read`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totals: Option<BTreeMap<String, i64>>,
    /// The most recently changed deals (`per_stage`).
    pub deals: Vec<DealReply>,
    /// More with `GET /v1/deals?stage=…&cursor=…`.
    pub next_cursor: Option<String>,
}

/// The query parameters of `PipelineBoard`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardQuery {
    /// Deals per stage, 1 to 100 (default 25).
    pub per_stage: Option<String>,
}
