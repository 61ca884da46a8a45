//! `POST /v1/deals/{id}/move-stage` — `{stage_id}`: to another open stage
//! of the deal's pipeline (a won or lost deal moved back is reopened; the
//! win and loss stages are reached with `mark-won` / `mark-lost`). Owner,
//! manager or admin; `If-Match` honoured — of two moves from the same
//! version one wins and the other gets `412`. Approval policies on
//! `deal.stage.move` hold the move (`202`) until approved. `deal.stage.moved`.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_kernel::EntityId;
use serde_json::json;

use crate::App;
use crm_deals::deal::{DealStatus, Move};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    // Another tenant's deal is a 404 whatever the body says.
    let current = super::load(app, &call).await?;
    crm_records::write::require_edit(&p, current.fields.owner_user_id)?;
    let body: MoveStage = call.json()?;
    let stage_id = body.stage_id.to_string();
    let pipeline = super::pipeline_of(app, &current).await?;
    let to = pipeline.stage(&stage_id).cloned().ok_or_else(|| AppError::invalid("stage_id", "no such stage in the deal's pipeline"))?;
    if !to.is_open() {
        return Err(AppError::invalid("stage_id", "the win and loss stages are reached with mark-won and mark-lost"));
    }
    if to.id == current.stage_id {
        return Ok(Reply::ok(super::MoveReply::Done(current.public(&p))).etag(current.version));
    }
    let extra = json!({ "reopened": current.status != DealStatus::Open });
    super::move_reply(app, &call, current, &pipeline, &to, Move::Stage, extra).await
}

/// The body of `POST /v1/deals/{id}/move-stage`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveStage {
    /// An open stage of the deal's pipeline (a closed deal reopens).
    pub stage_id: EntityId,
}
