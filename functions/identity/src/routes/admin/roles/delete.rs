//! `DELETE /v1/admin/roles/{id}` — a custom role removed (`roles.manage`),
//! only while nobody holds it: no user, no pending invitation, no group's
//! default roles, no hierarchy link (`422 ROLE_IN_USE`; reassign first).
//! The holders are counted in the same transaction, so a grant racing the
//! delete loses one way or the other. `role.deleted`. A default role is not
//! deleted (`404`).

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::Tx;
use serde_json::json;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let code = call.path("id")?;
    let read = crate::access::load(&app.store, p.tenant_id).await?;
    let next = read.delete_role(&code)?;
    let role = read.role_view(&code).ok_or(AppError::NotFound)?;
    let data = json!({ "code": code, "name": role.name, "permissions": role.permissions });
    let event =
        super::super::super::event(&call, p.tenant_id, crm_events::types::ROLE_DELETED, p.user_id, super::post::subject(&code), data);
    let tx = crate::role_holders::delete(Tx::new().emit_audited(&event), p.tenant_id, &code);
    let tx = crate::access::save(tx, p.tenant_id, &read, next)?;
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::no_content()),
        Err(e) => Err(crate::role_holders::refused(&e, true).unwrap_or_else(|| crate::access::conflict(e))),
    }
}
