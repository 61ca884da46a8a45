//! `POST /v1/deals/{id}/mark-won` — into the pipeline's win stage, status
//! `won`, `closed_at` now (and `close_date` today when it had none). Owner,
//! manager or admin; `If-Match` honoured. Approval policies on
//! `deal.mark.win` (say: amount over $100k, or discount over 10 %) hold it
//! (`202`) until approved. `deal.won`; the owner and watchers are told.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use serde_json::json;

use crate::App;
use crm_deals::deal::{DealStatus, Move};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    crm_records::write::require_edit(&p, current.fields.owner_user_id)?;
    if current.status == DealStatus::Won {
        return Ok(Reply::ok(super::MoveReply::Done(current.public(&p))).etag(current.version));
    }
    let pipeline = super::pipeline_of(app, &current).await?;
    let to = pipeline.win_stage().cloned().ok_or_else(|| AppError::Conflict("the pipeline has no win stage".into()))?;
    super::move_reply(app, &call, current, &pipeline, &to, Move::Win, json!({})).await
}
