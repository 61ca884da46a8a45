//! `PATCH /v1/pipelines/{id}/stages/{stageId}` — `name`, `probability_pct`,
//! `is_win` / `is_loss`, `position` (reorders). The forecast weighs by the
//! new probability at once (it is applied when read).

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::Tx;
use serde_json::json;

use crate::App;
use crm_deals::pipeline::{Stage, StageRequest};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let current = super::super::load(app, &call).await?;
    let body: StageRequest = call.json()?;
    let i = super::index_of(&call, &current)?;
    let to = body.position(current.stages.len())?;
    let mut errors = Vec::new();
    let stage = Stage::apply(&current.stages[i], body, "", &mut errors);
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let mut next = current.clone();
    next.stages.remove(i);
    next.stages.insert(to.unwrap_or(i), stage.clone());
    let saved = super::save(app, &call, &current, next, json!({ "changed": stage }), Tx::new()).await?;
    Ok(Reply::ok(&saved).etag(saved.version))
}
