//! `PATCH /v1/approvals/policies/{id}` — change a policy, or switch it on and
//! off (`active`): requests already open keep the steps they started with.
//! `If-Match` honoured; `approval.policy.updated`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::App;
use crm_approvals::policy::{Policy, PolicyChanges, PolicyFields};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let fields = PolicyFields::apply(&current.fields, call.json::<PolicyChanges>()?)?;
    if fields == current.fields {
        return Ok(Reply::ok(&current).etag(current.version));
    }
    let next = Policy { fields, updated_at: Timestamp::now(), version: current.version + 1, ..current.clone() };
    let event = super::event(
        &call,
        crm_events::types::APPROVAL_POLICY_UPDATED,
        &next,
        json!({ "active": next.fields.active, "action_code": next.fields.action_code }),
    )?;
    let tx = Tx::new().put_if("policy", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    let tx = super::count(tx, &p, current.fields.active, next.fields.active);
    app.store.transact(tx).await.map_err(|e| super::refused(&p, e))?;
    Ok(Reply::ok(&next).etag(next.version))
}
