//! `POST /v1/deals/{id}/mark-lost` — `{reason_code, note?}`: the reason
//! from the coded dictionary ([`crm_deals::deal::LOST_REASONS`]; required, see
//! ADR 0015). Into the loss stage, status `lost`. Owner, manager or
//! admin; `If-Match` honoured. `deal.lost`; the owner and watchers are told.

use crm_http::{Call, Reply};
use crm_kernel::fields::{Fields, Input};
use crm_kernel::AppError;
use serde_json::json;

use crate::App;
use crm_deals::deal::LOST_REASONS;
use crm_deals::deal::{DealStatus, Move};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    // Another tenant's deal is a 404 whatever the body says.
    let current = super::load(app, &call).await?;
    crm_records::write::require_edit(&p, current.fields.owner_user_id)?;
    let body: MarkLost = call.json()?;
    let mut f = Fields::new();
    let code = f.one_of("reason_code", body.reason_code, LOST_REASONS);
    f.require_because("reason_code", code.is_some(), &format!("must be one of {}", LOST_REASONS.join(", ")));
    let note = f.text("note", body.note, 1000).flatten();
    let code = f.finish(code.unwrap_or_default())?;
    if current.status == DealStatus::Lost {
        return Ok(Reply::ok(super::MoveReply::Done(current.public(&p))).etag(current.version));
    }
    let pipeline = super::pipeline_of(app, &current).await?;
    let to = pipeline.loss_stage().cloned().ok_or_else(|| AppError::Conflict("the pipeline has no loss stage".into()))?;
    let extra = json!({ "reason": code, "reason_code": code, "note": note });
    super::move_reply(app, &call, current, &pipeline, &to, Move::Lose { reason_code: code, note }, extra).await
}

/// The body of `POST /v1/deals/{id}/mark-lost`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MarkLost {
    /// Required: a code of `GET /v1/deals/lost-reasons`.
    #[schemars(schema_with = "reason_schema")]
    pub reason_code: Input<String>,
    #[schemars(length(max = 1000))]
    pub note: Input<String>,
}

crm_kernel::one_of_schema!(reason_schema, LOST_REASONS);
