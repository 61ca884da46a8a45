//! `POST /v1/pipelines/{id}/stages` — `{name, probability_pct, position?}`:
//! a new open stage, by default just before the win stage.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId};
use crm_store::Tx;
use serde_json::json;

use crate::App;
use crm_deals::pipeline::{Stage, StageRequest};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let current = super::super::load(app, &call).await?;
    let body: StageRequest = call.json()?;
    let at = body.position(current.stages.len() + 1)?;
    let mut errors = Vec::new();
    let blank = Stage { id: EntityId::new(), name: String::new(), probability_pct: 0, is_win: false, is_loss: false };
    let stage = Stage::apply(&blank, body, "", &mut errors);
    if stage.name.is_empty() && errors.is_empty() {
        errors.push(crm_kernel::FieldError::new("name", "is required"));
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let mut next = current.clone();
    let at = at.unwrap_or_else(|| next.stages.iter().position(|s| !s.is_open()).unwrap_or(next.stages.len()));
    next.stages.insert(at, stage.clone());
    let saved = super::save(app, &call, &current, next, json!({ "added": stage }), Tx::new()).await?;
    Ok(Reply::created(format!("/v1/pipelines/{}/stages/{}", saved.id, stage.id), &saved).etag(saved.version))
}
