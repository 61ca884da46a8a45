//! A pipeline's stages: `GET|POST /v1/pipelines/{id}/stages`,
//! `PATCH|DELETE /v1/pipelines/{id}/stages/{stageId}`. Stages live on the
//! pipeline item, so every change is one conditional write of it
//! (`If-Match` honoured) and `pipeline.updated`.

pub mod delete;
pub mod get;
pub mod patch;
pub mod post;

use crm_events::audit::AuditExt;
use crm_http::Call;
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::{json, Value};

use crate::App;
use crm_deals::pipeline::Pipeline;

/// Writes `next` over `current` (with `tx`'s guards).
pub(crate) async fn save(
    app: &App,
    call: &Call,
    current: &Pipeline,
    mut next: Pipeline,
    what: Value,
    tx: Tx,
) -> Result<Pipeline, AppError> {
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    next.check_stages()?;
    next.updated_at = Timestamp::now();
    next.version = current.version + 1;
    let event = super::event(call, crm_events::types::PIPELINE_UPDATED, &next, json!({ "stages": what }))?;
    match app.store.transact(tx.put_if("pipeline", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event)).await {
        Ok(()) => Ok(next),
        Err(StoreError::ConditionFailed { label }) if label == "tally" => {
            Err(AppError::Conflict("the stage has deals: move them to another stage first".into()))
        }
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}

/// The index of stage `{stageId}` in `p` (else `404`).
pub(crate) fn index_of(call: &Call, p: &Pipeline) -> Result<usize, AppError> {
    let id = call.path("stageId")?;
    p.stages.iter().position(|s| s.id.to_string() == id).ok_or(AppError::NotFound)
}
