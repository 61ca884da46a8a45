//! `DELETE /v1/admin/groups/{id}` — an empty group only (`409` while it has
//! members: removing them first makes every lost permission explicit).
//! Its code, grant and seat in `groups.max` are freed; `group.deleted`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Limit};
use crm_store::tx::Condition;
use crm_store::{usage, Query, Tx};
use serde_json::json;

use crate::group::Group;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let g = super::load(app, &call).await?;
    let q = Query::table(g.tenant_id, Group::key(g.tenant_id, g.id).pk)
        .sk_begins_with(crm_store::keys::MEMBER_PREFIX)
        .limit(Limit::parse(Some("1"))?);
    if !app.store.query(q).await?.items.is_empty() {
        return Err(AppError::Conflict("the group still has members; remove them first".into()));
    }
    let access = crate::access::load(&app.store, p.tenant_id).await?;
    let mut model = access.clone();
    model.groups.remove(&g.id.to_string());
    let event = super::super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::GROUP_DELETED,
        p.user_id,
        super::subject(&g),
        json!({ "name": g.fields.name, "code": g.fields.code }),
    );
    let tx = Tx::new()
        .delete("group", &Group::key(p.tenant_id, g.id), Some(Condition::version_is(g.version)))
        .delete("code_release", &Group::code_marker(p.tenant_id, &g.fields.code), None)
        .emit_audited(&event);
    let tx = usage::release(tx, "groups_release", p.tenant_id, "groups_used");
    let tx = crate::access::save(tx, p.tenant_id, &access, model)?;
    app.store.transact(tx).await.map_err(|e| super::refused(e, &g.fields.code))?;
    Ok(Reply::no_content())
}
