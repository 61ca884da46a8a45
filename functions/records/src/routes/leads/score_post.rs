//! `POST /v1/leads/{id}/score` — `{adjustment, reason?}` (or `{score}`:
//! the adjustment that reaches it): a manual change of the score, kept as
//! its own part next to the rules' parts. Owner, manager or admin;
//! `If-Match` honoured; `lead.updated`; crossing the threshold tells the owner.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::lead::{Lead, ScorePart};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    let body: ScoreRequest = call.json()?;
    let mut f = crm_kernel::fields::Fields::new();
    let reason = f.text("reason", body.reason, 200).flatten();
    f.finish(())?;
    crm_records::write::require_change(&p, current.fields.owner_user_id, call.if_match()?, current.version)?;
    let rules_part: i64 = current.score - current.score_adjustment;
    let adjustment = match (body.adjustment, body.score) {
        (Some(a), None) => current.score_adjustment + a,
        (None, Some(s)) => s - rules_part,
        _ => return Err(AppError::invalid("adjustment", "give a whole-number `adjustment` (points to add) or a target `score`")),
    };
    if !(-10_000..=10_000).contains(&adjustment) {
        return Err(AppError::invalid("adjustment", "the manual part stays within ±10000"));
    }
    let mut next = Lead {
        score_adjustment: adjustment,
        score: rules_part + adjustment,
        updated_at: Timestamp::now(),
        version: current.version + 1,
        ..current.clone()
    };
    next.score_parts.retain(|part| part.rule != "manual");
    if adjustment != 0 {
        next.score_parts.push(ScorePart { rule: "manual".into(), points: adjustment });
    }
    let (scoring, _) = crate::leads::rules(&app.store, p.tenant_id).await?;
    let data = json!({ "changes": { "score": { "from": current.score, "to": next.score } }, "reason": reason });
    let tx = Tx::new().put_if("lead", next.to_item()?, Condition::version_is(current.version)).emit_audited(&crate::leads::event(
        &p,
        Some(call.request_id()),
        crm_events::types::LEAD_UPDATED,
        &next,
        data,
    ));
    let tx = crate::leads::notify_owner(app, &p, &scoring, &next, Some(&current), tx).await?;
    app.store.transact(tx).await.map_err(|e| crate::leads::refused(&p, e))?;
    Ok(Reply::ok(&next).etag(next.version))
}

/// The body of `POST /v1/leads/{id}/score`: `adjustment` or `score`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreRequest {
    /// Points to add (negative to take away).
    pub adjustment: Option<i64>,
    /// The score to reach (the adjustment is what it takes).
    pub score: Option<i64>,
    /// Why, kept with the manual part.
    #[schemars(length(max = 200))]
    pub reason: crm_kernel::fields::Input<String>,
}
