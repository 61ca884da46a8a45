//! `DELETE /v1/approvals/policies/{id}` — requests already open keep going;
//! `approval.policy.deleted`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::App;
use crm_approvals::policy::Policy;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    let event = super::event(&call, crm_events::types::APPROVAL_POLICY_DELETED, &current, json!({ "name": current.fields.name }))?;
    let tx = Tx::new()
        .delete("policy", &Policy::key(p.tenant_id, current.id), Some(Condition::version_is(current.version)))
        .emit_audited(&event);
    let tx = super::count(tx, &p, current.fields.active, false);
    app.store.transact(tx).await.map_err(|e| super::refused(&p, e))?;
    Ok(Reply::no_content())
}
