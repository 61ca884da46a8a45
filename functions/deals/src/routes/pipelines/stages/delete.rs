//! `DELETE /v1/pipelines/{id}/stages/{stageId}` — only a stage without
//! deals: the stage's tally must still be empty when the pipeline is
//! written (a condition in the same transaction), else `409`.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::{AttributeValue, Key, Tx};
use serde_json::json;

use crate::App;
use crm_deals::board::TALLY;
use crm_deals::pipeline::Pipeline;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::super::load(app, &call).await?;
    let i = super::index_of(&call, &current)?;
    let mut next = current.clone();
    let gone = next.stages.remove(i);
    let tally = Key { pk: Pipeline::key(p.tenant_id, current.id).pk, sk: format!("{TALLY}STAGE#{}", gone.id) };
    let empty = Condition::new("attribute_not_exists(#c) OR #c = :zero").name("#c", "count").value(":zero", AttributeValue::N("0".into()));
    let tx = Tx::new().check("tally", &tally, empty);
    super::save(app, &call, &current, next, json!({ "removed": gone }), tx).await?;
    Ok(Reply::no_content())
}
