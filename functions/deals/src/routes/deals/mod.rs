//! Deals: `GET|POST /v1/deals`, `GET|PATCH|DELETE /v1/deals/{id}`, the
//! stage changes `POST /v1/deals/{id}/move-stage|mark-won|mark-lost`, the
//! stage history, and a manual approval request.

pub mod delete;
pub mod get;
pub mod history_get;
pub mod id_get;
pub mod lost_reasons_get;
pub mod mark_lost_post;
pub mod mark_won_post;
pub mod move_stage_post;
pub mod patch;
pub mod post;
pub mod request_approval_post;

use crm_deals::deal::{Deal, Move};
use crm_deals::pipeline::{Pipeline, Stage};
use crm_deals::write;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId};
use serde_json::Value;

use crate::moves::{Moved, Request};
use crate::App;

/// The deal `{id}`, if the caller may see it (else `404`).
pub(crate) async fn load(app: &App, call: &Call) -> Result<Deal, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let d: Deal = app.store.get_as(&Deal::key(p.tenant_id, id)).await?.ok_or(AppError::NotFound)?;
    crm_auth::audience::require_visible(&app.store, p, d.fields.owner_user_id, false).await?;
    Ok(d)
}

/// The route's answer to a move: the deal (`200`, its version the ETag),
/// or `202` with the approval request that holds it.
pub(crate) async fn move_reply(
    app: &App,
    call: &Call,
    current: Deal,
    pipeline: &Pipeline,
    to: &Stage,
    how: Move,
    extra: Value,
) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let r = Request { p: &p, request_id: call.request_id(), if_match: call.if_match()?, current, pipeline, to, how, extra };
    Ok(match crate::moves::move_deal(&app.store, r).await? {
        Moved::Done(next) => Reply::ok(MoveReply::Done(next.public(&p))).etag(next.version),
        Moved::Held(current, mut request) => {
            if !p.can(crm_auth::rbac::DEAL_AMOUNT_READ) {
                // The request carries the amount for its approvers, not for a requester who may not read it.
                if let Some(payload) = request.payload.as_object_mut() {
                    payload.retain(|k, _| !k.starts_with("amount"));
                }
            }
            Reply::with_status(202, MoveReply::Held { deal: current.public(&p), approval_request: request })
        }
    })
}

/// What a move answers: the deal moved (`200`), or held for approval (`202`).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum MoveReply {
    /// The deal, moved (or already there).
    Done(crm_deals::deal::DealReply),
    /// A policy holds the move: the deal as it is, and the approval request.
    Held { deal: crm_deals::deal::DealReply, approval_request: Box<crm_approvals::request::ApprovalRequest> },
}

/// The deal's pipeline (it always exists while the deal does).
pub(crate) async fn pipeline_of(app: &App, d: &Deal) -> Result<Pipeline, AppError> {
    write::pipeline(&app.store, d.tenant_id, d.pipeline_id).await
}
