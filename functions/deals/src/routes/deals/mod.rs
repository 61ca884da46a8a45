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

use crm_approvals::Gate;
use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::{json, Value};

use crate::App;
use crm_deals::deal::Deal;
use crm_deals::history::StageChange;
use crm_deals::pipeline::{Pipeline, Stage};
use crm_deals::{board, notices, write};

/// The deal `{id}`, if the caller may see it (else `404`).
pub(crate) async fn load(app: &App, call: &Call) -> Result<Deal, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let d: Deal = app.store.get_as(&Deal::key(p.tenant_id, id)).await?.ok_or(AppError::NotFound)?;
    crm_auth::audience::require_visible(&app.store, p, d.fields.owner_user_id, false).await?;
    Ok(d)
}

/// What approval policies see of a deal about to change stage (`amount`
/// in minor units, `amount_major` in major units, `discount_pct`, …).
pub(crate) fn approval_payload(d: &Deal, to: &Stage) -> Value {
    json!({
        "name": d.fields.name, "amount": d.fields.amount, "amount_major": d.value(), "currency": d.fields.currency,
        "discount_pct": d.fields.discount_pct.unwrap_or(0.0), "pipeline_id": d.pipeline_id,
        "from_stage_id": d.stage_id, "to_stage_id": to.id, "to_stage": to.name, "owner_user_id": d.fields.owner_user_id,
    })
}

/// How a deal changes stage.
pub(crate) struct Transition {
    /// The approvable action (`deal.stage.move`, `deal.mark.win`), if any.
    pub action: Option<&'static str>,
    pub event: crm_events::EventType,
    pub family: &'static str,
    pub status: &'static str,
    pub lost_reason: Option<(String, Option<String>)>,
    pub extra: Value,
}

/// Moves `current` into stage `to` of `pipeline` as `how` says: the
/// approval gate first (`202` with the request while it waits), then one
/// transaction — the deal under its version (`412` if someone else moved
/// it first), the board tallies, the history entry, the event and the
/// notices to the owner and watchers.
pub(crate) async fn transition(
    app: &App,
    call: &Call,
    current: Deal,
    pipeline: &Pipeline,
    to: &Stage,
    how: Transition,
) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let tx = match how.action {
        None => Tx::new(),
        Some(action) => {
            let check = crm_approvals::Check {
                action_code: action.into(),
                object_type: "deal".into(),
                object_id: current.id.to_string(),
                payload: approval_payload(&current, to),
            };
            match crm_approvals::check_and_maybe_enqueue(&app.store, &p, &check).await? {
                Gate::Proceed => Tx::new(),
                Gate::Granted(grant) => grant.consume(Tx::new()),
                Gate::Pending(pending) => {
                    let request = pending.commit(&app.store).await?;
                    return Ok(Reply::with_status(202, json!({ "deal": current.public(), "approval_request": request })));
                }
            }
        }
    };
    let now = Timestamp::now();
    let from = pipeline.stage(&current.stage_id.to_string()).cloned();
    let mut next = Deal {
        stage_id: to.id,
        status: how.status.into(),
        stage_entered_at: now,
        updated_at: now,
        version: current.version + 1,
        ..current.clone()
    };
    next.closed_at = (how.status != "open").then_some(now);
    (next.lost_reason_code, next.lost_reason_note) = how.lost_reason.clone().map_or((None, None), |(c, n)| (Some(c), n));
    if how.status == "won" && next.fields.close_date.is_none() {
        next.fields.close_date = Some(now.date());
    }
    let from_name = from.as_ref().map(|s| s.name.clone()).unwrap_or_default();
    let mut data = json!({ "from_stage_id": current.stage_id, "from_stage": from_name, "to_stage_id": to.id, "to_stage": to.name,
                           "status": next.status, "amount": next.fields.amount, "currency": next.fields.currency });
    if let (Some(d), Some(e)) = (data.as_object_mut(), how.extra.as_object()) {
        d.extend(e.clone());
    }
    let change = StageChange::new(&next, from.as_ref().map(|s| (s, current.stage_entered_at)), to, p.user_id);
    let tx = tx
        .put_if("deal", next.to_item()?, Condition::version_is(current.version))
        .put("history", change.to_item(p.tenant_id)?)
        .emit_audited(&write::event(&p, Some(call.request_id()), how.event, &next, data));
    let tx = board::write(tx, p.tenant_id, pipeline, &board::deltas(Some(&current), Some(&next)));
    let mut extra = how.extra.clone();
    extra["from_stage"] = json!(from_name);
    let tx = notices::queue(
        &app.store,
        p.tenant_id,
        p.user_id,
        &notices::audience(&next, p.user_id),
        how.family,
        &notices::payload(&next, &to.name, extra),
        tx,
    )
    .await?;
    app.store.transact(tx).await.map_err(|e| write::refused(&p, e))?;
    Ok(Reply::ok(next.public()).etag(next.version))
}

/// The deal's pipeline (it always exists while the deal does).
pub(crate) async fn pipeline_of(app: &App, d: &Deal) -> Result<Pipeline, AppError> {
    write::pipeline(&app.store, d.tenant_id, d.pipeline_id).await
}
