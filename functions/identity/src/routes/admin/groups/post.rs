//! `POST /v1/admin/groups` `{name, code, description?, is_active?,
//! default_roles?}` — a group, its code claimed tenant-wide (`409`), its
//! grant in the access model, within the plan's `groups.max`; `group.created`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::{item, usage, StoreError, Tx};
use serde_json::json;

use crate::group::{Group, GroupChanges, GroupFields};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let access = crate::access::load(&app.store, p.tenant_id).await?;
    let fields = GroupFields::apply(&GroupFields::blank(), call.json::<GroupChanges>()?, &access)?;
    crm_auth::grant::check_grant(&crm_auth::grant::Granter::new(&p, &access), &fields.default_roles)?;
    let now = Timestamp::now();
    let group = Group { id: EntityId::new(), tenant_id: p.tenant_id, fields, created_at: now, updated_at: now, version: 1 };
    let mut next = access.clone();
    next.groups.insert(group.id.to_string(), group.grant(Default::default()));
    let event = super::super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::GROUP_CREATED,
        p.user_id,
        super::subject(&group),
        json!({ "name": group.fields.name, "code": group.fields.code, "default_roles": group.fields.default_roles }),
    );
    let tx = Tx::new()
        .put_new("group", group.to_item()?)
        .put_new("code", item::to_item(&Group::code_marker(p.tenant_id, &group.fields.code), &json!({ "group_id": group.id }))?)
        .emit_audited(&event);
    let tx = usage::take(tx, "groups_max", p.tenant_id, "groups_used", p.entitlements.limit("groups.max"));
    let tx = crate::access::save(tx, p.tenant_id, &access, next)?;
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::created(format!("/v1/admin/groups/{}", group.id), &group).etag(group.version)),
        Err(StoreError::ConditionFailed { label }) if label == "groups_max" => Err(p.entitlements.limit_reached("groups.max")),
        Err(e) => Err(super::refused(e, &group.fields.code)),
    }
}
