//! `GET /v1/pipelines/{id}/stages` — the stages in order, each with its deal count.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Limit};
use serde_json::json;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let (pipeline, tallies) = super::super::load_with_tallies(app, &call).await?;
    let list: Vec<_> = pipeline
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut v = json!(s);
            v["position"] = json!(i);
            v["deal_count"] = json!(tallies.stage(s).count);
            v
        })
        .collect();
    Ok(Reply::list(list, Limit::max(), None).etag(pipeline.version))
}
