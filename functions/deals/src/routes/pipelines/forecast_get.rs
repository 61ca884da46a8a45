//! `GET /v1/pipelines/{id}/forecast` — by close month (`YYYY-MM`, `none`
//! without a close date): the open deals' count and amount per currency,
//! the amount weighted by each stage's current probability, and what was
//! won. One Query of the pipeline partition (its tallies); pipeline-wide,
//! so it takes the right to see every deal (`403` in a team-only scope).

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use serde_json::json;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    if !crm_auth::visibility::sees_everyone(&p) {
        return Err(AppError::Forbidden("the forecast covers every deal of the pipeline; your role sees only your team's".into()));
    }
    let (pipeline, tallies) = super::load_with_tallies(app, &call).await?;
    let (value, weighted) = tallies.open_value(&pipeline);
    Ok(Reply::ok(json!({
        "pipeline_id": pipeline.id,
        "months": tallies.forecast(&pipeline),
        "value": value,
        "weighted": weighted.amounts,
    })))
}
