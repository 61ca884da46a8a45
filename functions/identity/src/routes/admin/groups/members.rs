//! `POST /v1/admin/groups/{id}/members` and `DELETE …/members` `{user_id}` —
//! membership: the member item and the user's `group_ids` change in one
//! transaction (both under their versions), so the member's roles and
//! entitlements change on their very next request. Adding a member twice
//! is `200` with nothing changed; `group.member.added|removed`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp, UserId};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde::Deserialize;
use serde_json::json;

use crate::group::{Group, Member};
use crate::model::{User, UserStatus};
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    user_id: String,
}

async fn user(app: &App, call: &Call) -> Result<User, AppError> {
    let p = call.principal()?;
    let b: Body = call.json()?;
    let id = UserId::parse(&b.user_id).map_err(|_| AppError::invalid("user_id", "must be a user id"))?;
    app.store
        .get_as::<User>(&User::key(p.tenant_id, id))
        .await?
        .filter(|u| u.deleted_at.is_none() && u.status != UserStatus::Deactivated)
        .ok_or_else(|| AppError::invalid("user_id", "is not an active user of this tenant"))
}

/// Joining or leaving a group hands out or takes away its default roles:
/// the caller must be able to grant them, and nobody changes their own.
async fn refuse_grant(app: &App, p: &crm_auth::Principal, g: &Group, before: &User, after: &User) -> Result<(), AppError> {
    let model = crate::access::load(&app.store, p.tenant_id).await?;
    let granter = crm_auth::grant::Granter::new(p, &model);
    crm_auth::grant::check_grant(&granter, &g.fields.default_roles)?;
    crm_auth::grant::check_target(&granter, &crate::access::held_roles(&model, before))?;
    if before.id == p.user_id {
        let (was, will) = (crate::access::permissions_of(&model, before), crate::access::permissions_of(&model, after));
        crm_auth::grant::check_unchanged(&was, &will)?;
    }
    Ok(())
}

pub async fn add(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let g = super::load(app, &call).await?;
    let u = user(app, &call).await?;
    let gid = g.id.to_string();
    if u.group_ids.contains(&gid) {
        return Ok(Reply::ok(Membership { group_id: g.id, user_id: u.id, added: false }));
    }
    let now = Timestamp::now();
    let mut next = User { version: u.version + 1, ..u.clone() };
    next.group_ids.push(gid);
    refuse_grant(app, &p, &g, &u, &next).await?;
    let member = Member { group_id: g.id, user_id: u.id, added_at: now, added_by: p.user_id };
    let event = super::super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::GROUP_MEMBER_ADDED,
        p.user_id,
        super::subject(&g),
        json!({ "user_id": u.id, "default_roles": g.fields.default_roles }),
    );
    let tx = Tx::new()
        .put_if("user", next.to_item()?, Condition::version_is(u.version))
        .put("member", member.to_item(p.tenant_id)?)
        .emit_audited(&event);
    app.store.transact(tx).await.map_err(|_| AppError::Conflict("the user changed meanwhile; retry".into()))?;
    Ok(Reply::created(format!("/v1/admin/groups/{}", g.id), Membership { group_id: g.id, user_id: u.id, added: true }))
}

pub async fn remove(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let g = super::load(app, &call).await?;
    let u = user(app, &call).await?;
    let gid = g.id.to_string();
    if !u.group_ids.contains(&gid) {
        return Err(AppError::NotFound);
    }
    let mut next = User { version: u.version + 1, ..u.clone() };
    next.group_ids.retain(|x| x != &gid);
    refuse_grant(app, &p, &g, &u, &next).await?;
    let event = super::super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::GROUP_MEMBER_REMOVED,
        p.user_id,
        super::subject(&g),
        json!({ "user_id": u.id }),
    );
    let tx = Tx::new()
        .put_if("user", next.to_item()?, Condition::version_is(u.version))
        .delete("member", &Member::key(p.tenant_id, g.id, u.id), None)
        .emit_audited(&event);
    app.store.transact(tx).await.map_err(|_| AppError::Conflict("the user changed meanwhile; retry".into()))?;
    Ok(Reply::no_content())
}

/// A user's membership of a group (`added: false`: a member already).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Membership {
    pub group_id: crm_kernel::EntityId,
    pub user_id: crm_kernel::UserId,
    pub added: bool,
}
