//! `GET /v1/pipelines/{id}/stages` — the stages in order, each with its deal count.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Limit};

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let (pipeline, tallies) = super::super::load_with_tallies(app, &call).await?;
    let list: Vec<StageView> = pipeline
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| StageView { stage: s.clone(), position: i, deal_count: tallies.stage(s).count })
        .collect();
    Ok(Reply::list(list, Limit::max(), None).etag(pipeline.version))
}

/// A stage with its place and how many deals it holds.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct StageView {
    #[serde(flatten)]
    pub stage: crm_deals::pipeline::Stage,
    /// 0-based.
    pub position: usize,
    pub deal_count: i64,
}
