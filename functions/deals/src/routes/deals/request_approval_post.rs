//! `POST /v1/deals/{id}/request-approval` — `{action}` (`deal.mark.win`
//! by default, or `deal.stage.move` with `stage_id`): asks the approvals
//! engine ahead of time, as the deal stands. `202` with the request when a
//! policy applies (or one already waits), `200 {required: false}` when
//! none does; an approved request is consumed by the action itself.

use crm_approvals::Gate;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use serde_json::{json, Value};

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let body: Value = call.json().unwrap_or(json!({}));
    let action = body.get("action").and_then(Value::as_str).unwrap_or("deal.mark.win");
    if !["deal.mark.win", "deal.stage.move"].contains(&action) {
        return Err(AppError::invalid("action", "must be deal.mark.win or deal.stage.move"));
    }
    let d = super::load(app, &call).await?;
    crm_records::write::require_edit(&p, d.fields.owner_user_id)?;
    let pipeline = super::pipeline_of(app, &d).await?;
    let to = if action == "deal.mark.win" {
        pipeline.win_stage().cloned()
    } else {
        let sid =
            body.get("stage_id").and_then(Value::as_str).ok_or_else(|| AppError::invalid("stage_id", "is required for deal.stage.move"))?;
        Some(pipeline.stage(sid).cloned().ok_or_else(|| AppError::invalid("stage_id", "no such stage in the deal's pipeline"))?)
    }
    .ok_or_else(|| AppError::Conflict("the pipeline has no win stage".into()))?;
    let check = crm_approvals::Check {
        action_code: action.into(),
        object_type: "deal".into(),
        object_id: d.id.to_string(),
        payload: crate::moves::approval_payload(&d, &to),
    };
    match crm_approvals::check_and_maybe_enqueue(&app.store, &p, &check).await? {
        Gate::Proceed => Ok(Reply::ok(json!({ "required": false }))),
        Gate::Granted(_) => Ok(Reply::ok(json!({ "required": true, "approved": true }))),
        Gate::Pending(pending) => {
            let request = pending.commit(&app.store).await?;
            Ok(Reply::with_status(202, json!({ "required": true, "approval_request": request })))
        }
    }
}
