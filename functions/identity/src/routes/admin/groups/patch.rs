//! `PATCH /v1/admin/groups/{id}` — rename, re-code (`409` if taken),
//! (de)activate or change default roles; members' permissions follow on
//! their next request. `If-Match` honoured; `group.updated`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{item, Tx};
use serde_json::{json, Value};

use crate::group::{Group, GroupChanges, GroupFields};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let access = crate::access::load(&app.store, p.tenant_id).await?;
    let fields = GroupFields::apply(&current.fields, call.json::<GroupChanges>()?, &access)?;
    if fields == current.fields {
        return Ok(Reply::ok(&current).etag(current.version));
    }
    // The roles it grants before and after are both handed out by this change.
    let granter = crm_auth::grant::Granter::new(&p, &access);
    crm_auth::grant::check_grant(&granter, &current.fields.default_roles)?;
    crm_auth::grant::check_grant(&granter, &fields.default_roles)?;
    let next = Group { fields, updated_at: Timestamp::now(), version: current.version + 1, ..current.clone() };
    let mut model = access.clone();
    let overrides = model.groups.get(&next.id.to_string()).map(|g| g.overrides.clone()).unwrap_or_default();
    model.groups.insert(next.id.to_string(), next.grant(overrides));
    let (before, after) =
        (serde_json::to_value(&current.fields).unwrap_or_default(), serde_json::to_value(&next.fields).unwrap_or_default());
    let changes: serde_json::Map<String, Value> = after
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| before.get(k.as_str()) != Some(*v))
        .map(|(k, v)| (k.clone(), json!({ "from": before.get(k.as_str()), "to": v })))
        .collect();
    let event = super::super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::GROUP_UPDATED,
        p.user_id,
        super::subject(&next),
        json!({ "changes": changes }),
    );
    let mut tx = Tx::new().put_if("group", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    if next.fields.code != current.fields.code {
        tx = tx
            .delete("code_release", &Group::code_marker(p.tenant_id, &current.fields.code), None)
            .put_new("code", item::to_item(&Group::code_marker(p.tenant_id, &next.fields.code), &json!({ "group_id": next.id }))?);
    }
    crate::access::refuse_self_change(&app.store, &p, &access, &model).await?;
    let tx = crate::access::save(tx, p.tenant_id, &access, model)?;
    app.store.transact(tx).await.map_err(|e| super::refused(e, &next.fields.code))?;
    Ok(Reply::ok(&next).etag(next.version))
}
