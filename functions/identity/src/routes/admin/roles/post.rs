//! `POST /v1/admin/roles` `{code, name, description?, permissions}` — a
//! custom role (`roles.manage`): codes of the registry the caller holds
//! (`403` naming any it lacks), within the plan's `roles.max`
//! (`422 LIMIT_REACHED`). Assignable at once; `role.created`.

use crm_auth::roles::RoleChanges;
use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::Tx;
use serde_json::json;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let changes: RoleChanges = call.json()?;
    let read = crate::access::load(&app.store, p.tenant_id).await?;
    let (next, code) = read.create_role(changes, &p.permissions, p.entitlements.limit("roles.max"), Timestamp::now())?;
    let view = next.role_view(&code).ok_or(AppError::NotFound)?;
    let data = json!({ "code": code, "name": view.name, "permissions": view.permissions });
    let event = super::super::super::event(&call, p.tenant_id, crm_events::types::ROLE_CREATED, p.user_id, subject(&code), data);
    let tx = crate::role_holders::create(Tx::new().emit_audited(&event), p.tenant_id, &code)?;
    let tx = crate::access::save(tx, p.tenant_id, &read, next)?;
    app.store.transact(tx).await.map_err(crate::access::conflict)?;
    Ok(Reply::created(format!("/v1/admin/roles/{code}"), view))
}

/// The audit subject of a role.
pub(super) fn subject(code: &str) -> Subject {
    Subject { kind: "role".into(), id: code.to_string() }
}
