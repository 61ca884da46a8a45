//! `POST /v1/deals/{id}/request-approval` — `{action}` (`deal.mark.win`
//! by default, or `deal.stage.move` with `stage_id`): asks the approvals
//! engine ahead of time, as the deal stands. `202` with the request when a
//! policy applies (or one already waits), `200 {required: false}` when
//! none does; an approved request is consumed by the action itself.

use crm_approvals::Gate;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_kernel::EntityId;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let d = super::load(app, &call).await?;
    let body: RequestApproval =
        if call.body_bytes()?.iter().all(u8::is_ascii_whitespace) { RequestApproval::default() } else { call.json()? };
    let action = body.action.as_str();
    crm_records::write::require_edit(&p, d.fields.owner_user_id)?;
    let pipeline = super::pipeline_of(app, &d).await?;
    let to = if body.action == ApprovalAction::Win {
        pipeline.win_stage().cloned()
    } else {
        let sid = body.stage_id.ok_or_else(|| AppError::invalid("stage_id", "is required for deal.stage.move"))?.to_string();
        Some(pipeline.stage(&sid).cloned().ok_or_else(|| AppError::invalid("stage_id", "no such stage in the deal's pipeline"))?)
    }
    .ok_or_else(|| AppError::Conflict("the pipeline has no win stage".into()))?;
    let check = crm_approvals::Check {
        action_code: action.into(),
        object_type: "deal".into(),
        object_id: d.id.to_string(),
        payload: crate::moves::approval_payload(&d, &to),
    };
    match crm_approvals::check_and_maybe_enqueue(&app.store, &p, &check).await? {
        Gate::Proceed => Ok(Reply::ok(Needed { required: false, approved: None, approval_request: None })),
        Gate::Granted(_) => Ok(Reply::ok(Needed { required: true, approved: Some(true), approval_request: None })),
        Gate::Pending(pending) => {
            let request = pending.commit(&app.store).await?;
            Ok(Reply::with_status(202, Needed { required: true, approved: None, approval_request: Some(Box::new(request)) }))
        }
    }
}

crm_kernel::named_enum! {
    /// What an approval is asked for.
    pub enum ApprovalAction { Win = "deal.mark.win", Move = "deal.stage.move" }
}

/// The body of `POST /v1/deals/{id}/request-approval` (none: a win).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestApproval {
    /// Default `deal.mark.win`.
    #[serde(default = "win")]
    pub action: ApprovalAction,
    /// The stage a `deal.stage.move` goes to.
    #[serde(default)]
    pub stage_id: Option<EntityId>,
}

fn win() -> ApprovalAction {
    ApprovalAction::Win
}

impl Default for RequestApproval {
    fn default() -> Self {
        Self { action: ApprovalAction::Win, stage_id: None }
    }
}

/// Whether the action needs an approval, and the request opened for it.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Needed {
    pub required: bool,
    /// `true`: an approval was granted already.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved: Option<bool>,
    /// The request opened now (`202`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_request: Option<Box<crm_approvals::request::ApprovalRequest>>,
}
