//! `POST /v1/approvals/policies` `{name, action_code, object_type,
//! conditions?, steps, active?}` — `approval.policy.created`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::Tx;
use serde_json::json;

use crate::App;
use crm_approvals::policy::{Policy, PolicyChanges, PolicyFields};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let fields = PolicyFields::apply(&PolicyFields::blank(), call.json::<PolicyChanges>()?)?;
    let now = Timestamp::now();
    let policy =
        Policy { id: EntityId::new(), tenant_id: p.tenant_id, fields, created_by: p.user_id, created_at: now, updated_at: now, version: 1 };
    let event = super::event(
        &call,
        crm_events::types::APPROVAL_POLICY_CREATED,
        &policy,
        json!({ "name": policy.fields.name, "action_code": policy.fields.action_code, "active": policy.fields.active }),
    )?;
    let tx = super::count(Tx::new().put_new("policy", policy.to_item()?).emit_audited(&event), &p, false, policy.fields.active);
    app.store.transact(tx).await.map_err(|e| super::refused(&p, e))?;
    Ok(Reply::created(format!("/v1/approvals/policies/{}", policy.id), &policy).etag(policy.version))
}
