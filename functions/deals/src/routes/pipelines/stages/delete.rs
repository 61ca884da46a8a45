//! `DELETE /v1/pipelines/{id}/stages/{stageId}` — only a stage without
//! deals: the stage's tally must still be empty when the pipeline is
//! written (a condition in the same transaction), else `409`.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::super::load(app, &call).await?;
    let i = super::index_of(&call, &current)?;
    let mut next = current.clone();
    let gone = next.stages.remove(i);
    let tally = crm_store::keys::stage_tally(p.tenant_id, &current.id.to_string(), &gone.id.to_string());
    let tx = Tx::new().check("tally", &tally, Condition::absent_or_zero("count"));
    super::save(app, &call, &current, next, json!({ "removed": gone }), tx).await?;
    Ok(Reply::no_content())
}
