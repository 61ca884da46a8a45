//! Moving a deal between stages — the application layer the move-stage,
//! mark-won and mark-lost routes share: the approval gate first (a held
//! move answers with its pending request), then the domain's
//! [`Deal::move_to`], then one transaction — the deal under the version it
//! was read at (someone else moving it first fails it), the board tallies,
//! the stage history, the event and the notices to the owner and watchers.

use crm_approvals::request::ApprovalRequest;
use crm_approvals::Gate;
use crm_auth::Principal;
use crm_deals::deal::{Deal, Move};
use crm_deals::history::StageChange;
use crm_deals::pipeline::{Pipeline, Stage};
use crm_deals::{board, notices, write};
use crm_events::audit::AuditExt;
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{Store, Tx};
use serde_json::{json, Value};

/// What came of a move.
pub enum Moved {
    /// The deal in its new stage.
    Done(Box<Deal>),
    /// An approval policy holds the move: the deal as it was, and the request.
    Held(Box<Deal>, Box<ApprovalRequest>),
}

/// What approval policies see of a deal about to change stage (`amount`
/// in minor units, `amount_major` in major units, `discount_pct`, …).
pub fn approval_payload(d: &Deal, to: &Stage) -> Value {
    json!({
        "name": d.fields.name, "amount": d.fields.amount, "amount_major": d.value(), "currency": d.fields.currency,
        "discount_pct": d.fields.discount_pct.unwrap_or(0.0), "pipeline_id": d.pipeline_id,
        "from_stage_id": d.stage_id, "to_stage_id": to.id, "to_stage": to.name, "owner_user_id": d.fields.owner_user_id,
    })
}

/// A move asked for by `p`: `current` (read at the version `If-Match`
/// named, if any) into stage `to` of `pipeline`, as `how` says; `extra`
/// goes into the event and the notices.
pub struct Request<'a> {
    pub p: &'a Principal,
    pub request_id: &'a str,
    pub if_match: Option<u64>,
    pub current: Deal,
    pub pipeline: &'a Pipeline,
    pub to: &'a Stage,
    pub how: Move,
    pub extra: Value,
}

pub async fn move_deal(store: &Store, r: Request<'_>) -> Result<Moved, AppError> {
    let Request { p, request_id, if_match, current, pipeline, to, how, extra } = r;
    if if_match.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let tx = match how.action() {
        None => Tx::new(),
        Some(action) => {
            let check = crm_approvals::Check {
                action_code: action.into(),
                object_type: "deal".into(),
                object_id: current.id.to_string(),
                payload: approval_payload(&current, to),
            };
            match crm_approvals::check_and_maybe_enqueue(store, p, &check).await? {
                Gate::Proceed => Tx::new(),
                Gate::Granted(grant) => grant.consume(Tx::new()),
                Gate::Pending(pending) => {
                    let request = pending.commit(store).await?;
                    return Ok(Moved::Held(Box::new(current), Box::new(request)));
                }
            }
        }
    };
    let now = Timestamp::now();
    let from = pipeline.stage(&current.stage_id.to_string()).cloned();
    let next = current.move_to(to, &how, now);
    let from_name = from.as_ref().map(|s| s.name.clone()).unwrap_or_default();
    let mut data = json!({ "from_stage_id": current.stage_id, "from_stage": from_name, "to_stage_id": to.id, "to_stage": to.name,
                           "status": next.status, "amount": next.fields.amount, "currency": next.fields.currency,
                           "unit_ids": next.fields.units, "deal_version": next.version });
    if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    let change = StageChange::new(&next, from.as_ref().map(|s| (s, current.stage_entered_at)), to, p.user_id);
    let tx = tx
        .put_if("deal", next.to_item()?, Condition::version_is(current.version))
        .put("history", change.to_item(p.tenant_id)?)
        .emit_audited(&write::event(p, Some(request_id), how.event(), &next, data));
    let tx = board::write(tx, p.tenant_id, pipeline, &board::deltas(Some(&current), Some(&next)));
    let mut notice = extra;
    notice["from_stage"] = json!(from_name);
    let audience = notices::audience(&next, p.user_id);
    let tx = notices::queue(store, p.tenant_id, p.user_id, &audience, how.family(), &notices::payload(&next, &to.name, notice), tx).await?;
    store.transact(tx).await.map_err(|e| write::refused(p, e))?;
    Ok(Moved::Done(Box::new(next)))
}
