//! `POST /v1/admin/users/{id}/roles` — replaces a user's roles. Audited as
//! `user.role.changed` with the before and after; effective on the user's
//! next request (the authorizer reads roles from the user record).
//!
//! Rules (`crm_auth::grant`): only known roles; nobody changes their own
//! roles; the caller grants and removes only roles at or below its own
//! highest, on a user whose every role it could grant (`super_admin` only
//! by a super admin); the last active super admin keeps the role
//! (`422 LAST_SUPER_ADMIN`). An `If-Match` version is honoured when sent.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, UserId};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::model::User;
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRoles {
    roles: Vec<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let id = UserId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let req: AssignRoles = call.json()?;
    let access = crate::access::load(&app.store, p.tenant_id).await?;
    let mut errors = Vec::new();
    let roles = super::parse_roles(&req.roles, &access, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let user = app.store.get_as::<User>(&User::key(p.tenant_id, id)).await?.filter(|u| u.deleted_at.is_none()).ok_or(AppError::NotFound)?;
    if let Some(expected) = call.if_match()? {
        if expected != user.version {
            return Err(AppError::PreconditionFailed);
        }
    }
    let updated = assign(app, &call, &access, user, roles).await?;
    Ok(Reply::ok(updated.public()).etag(updated.version))
}

/// Gives `user` exactly `roles` (parsed) for the caller of `call`: the
/// user as updated (the route's, or one user of a bulk action's).
pub async fn assign(
    app: &App,
    call: &Call,
    access: &crm_auth::access::AccessModel,
    user: User,
    roles: Vec<String>,
) -> Result<User, AppError> {
    let p = call.principal()?;
    let id = user.id;
    if id == p.user_id {
        return Err(AppError::Forbidden("you cannot change your own roles".into()));
    }
    let granter = crm_auth::grant::Granter::new(p, access);
    crm_auth::grant::check_target(&granter, &crate::access::held_roles(access, &user))?;
    crm_auth::grant::check_change(&granter, &user.roles, &roles)?;

    let mut updated = user.clone();
    updated.roles = roles;
    updated.version += 1;
    let event = super::super::super::event(
        call,
        p.tenant_id,
        crm_events::types::USER_ROLE_CHANGED,
        p.user_id,
        Subject { kind: "user".into(), id: id.to_string() },
        json!({ "from": user.roles, "to": updated.roles }),
    );
    let mut tx = Tx::new().put_if("user", updated.to_item()?, Condition::version_is(user.version)).emit_audited(&event);
    tx = crate::role_holders::follow(tx, p.tenant_id, &user.roles, &updated.roles);
    if !updated.roles.iter().any(|r| r == crm_auth::rbac::SUPER_ADMIN) {
        tx = crate::owners::keep_one(&app.store, &user, tx).await?;
    }
    match app.store.transact(tx).await {
        Ok(()) => Ok(updated),
        Err(StoreError::ConditionFailed { label }) if label == "user" => Err(AppError::PreconditionFailed),
        Err(StoreError::ConditionFailed { label }) if label == crate::owners::OWNER => {
            Err(AppError::Conflict("the organisation's super admins changed meanwhile; retry".into()))
        }
        Err(e) => Err(crate::role_holders::refused(&e, false).unwrap_or_else(|| e.into())),
    }
}
