//! `PUT /v1/admin/notification-policies` — replace the tenant's policy
//! (`If-Match` honoured), audited `notification_policy.updated`.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::policy::{Policy, Replacement};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let Replacement(mut next) = call.json()?;
    next.validate()?;
    let current = Policy::load(&app.store, t).await?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    next.version = current.version + 1;
    let condition = if current.version == 0 { Condition::not_exists() } else { Condition::version_is(current.version) };
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::NOTIFICATION_POLICY_UPDATED,
        Subject { kind: "tenant".into(), id: t.to_string() },
        json!({ "from": current, "to": next }),
    )?;
    match app.store.transact(Tx::new().put_if("policy", next.to_item(t)?, condition).emit_audited(&event)).await {
        Ok(()) => Ok(Reply::ok(&next).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
