//! `PATCH /v1/admin/roles/{id}` `{name?, description?, permissions?}` — a
//! custom role changed (`roles.manage`). Every permission added or taken
//! away must be one the caller holds, and the change may not alter the
//! caller's own permissions (`crm_auth::grant`). Its holders have the new
//! permissions on their next request; `role.updated` with the changes.
//! A default role is not changed (`404`).

use crm_auth::roles::RoleChanges;
use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::Tx;
use serde_json::{json, Map, Value};

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let code = call.path("id")?;
    let changes: RoleChanges = call.json()?;
    let read = crate::access::load(&app.store, p.tenant_id).await?;
    let next = read.update_role(&code, changes, &p.permissions, Timestamp::now())?;
    let (before, after) = (read.role_view(&code).ok_or(AppError::NotFound)?, next.role_view(&code).ok_or(AppError::NotFound)?);
    if next == read {
        return Ok(Reply::ok(after));
    }
    crate::access::refuse_self_change(&app.store, &p, &read, &next).await?;
    // Its holders must be within the caller's reach, as for a role change on them.
    let granter = crm_auth::grant::Granter::new(&p, &read);
    for u in crm_directory::list(&app.store, p.tenant_id).await? {
        let held = read.effective_roles(&u.roles, &u.group_ids);
        if held.contains(&code) {
            crm_auth::grant::check_target(&granter, &held)?;
        }
    }
    let diff = |v: &crm_auth::roles::RoleView| serde_json::to_value(v).unwrap_or_default();
    let (was, will) = (diff(&before), diff(&after));
    let changes: Map<String, Value> = ["name", "description", "permissions"]
        .iter()
        .filter(|k| was.get(**k) != will.get(**k))
        .map(|k| (k.to_string(), json!({ "from": was.get(*k), "to": will.get(*k) })))
        .collect();
    let data = json!({ "code": code, "changes": changes });
    let event =
        super::super::super::event(&call, p.tenant_id, crm_events::types::ROLE_UPDATED, p.user_id, super::post::subject(&code), data);
    let tx = crate::access::save(Tx::new().emit_audited(&event), p.tenant_id, &read, next)?;
    app.store.transact(tx).await.map_err(crate::access::conflict)?;
    Ok(Reply::ok(after))
}
