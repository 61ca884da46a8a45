//! `GET /v1/pipelines/{id}/forecast` — by close month (`YYYY-MM`, `none`
//! without a close date): the open deals' count and amount per currency,
//! the amount weighted by each stage's current probability, and what was
//! won. One Query of the pipeline partition (its tallies); pipeline-wide,
//! so it takes the right to see every deal (`403` in a team-only scope),
//! and it is amounts throughout, so it takes `deal.amount.read`.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    p.require(crm_auth::rbac::DEAL_AMOUNT_READ)?;
    if !crm_auth::visibility::sees_everyone(&p) {
        return Err(AppError::Forbidden("the forecast covers every deal of the pipeline; your role sees only your team's".into()));
    }
    let (pipeline, tallies) = super::load_with_tallies(app, &call).await?;
    let (value, weighted) = tallies.open_value(&pipeline);
    Ok(Reply::ok(Forecast { pipeline_id: pipeline.id, months: tallies.forecast(&pipeline), value, weighted: weighted.amounts }))
}

/// A pipeline's forecast by close month.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Forecast {
    pub pipeline_id: crm_kernel::EntityId,
    pub months: Vec<crm_deals::board::Month>,
    /// Open deals: count and amounts per currency.
    pub value: crm_deals::board::Tally,
    /// Open amounts weighted by their stages' probabilities, per currency.
    pub weighted: std::collections::BTreeMap<String, i64>,
}
