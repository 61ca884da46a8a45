//! User lifecycle: suspend, deactivate, reactivate,
//! force-logout. One transaction each: the user's new status, the end of
//! every session opened until now (`sessions_valid_after`, with the open
//! session items revoked as cleanup), the revocation of a deactivated or
//! deleted user's API keys, the seat they free or take, and the audited event.
//! Nobody acts on their own account or on a user above them
//! (`crm_auth::grant`), and the last active super admin stays.
//! The authorizer reads the user's status on every request, so the change
//! applies to the next request even for tokens already issued.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::model::{Tenant, User, UserStatus};
use crate::{seats, App};

/// What a lifecycle route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Suspend,
    Deactivate,
    Reactivate,
    ForceLogout,
    Delete,
}

impl Action {
    fn event(self) -> crm_events::EventType {
        match self {
            Action::Suspend => crm_events::types::USER_SUSPENDED,
            Action::Deactivate => crm_events::types::USER_DEACTIVATED,
            Action::Reactivate => crm_events::types::USER_REINSTATED,
            Action::ForceLogout => crm_events::types::USER_FORCE_LOGGED_OUT,
            Action::Delete => crm_events::types::USER_DELETED,
        }
    }

    /// The status after the action, or why it does not apply (pure rule).
    pub fn next_status(self, current: &UserStatus) -> Result<UserStatus, &'static str> {
        match (self, current) {
            (Action::Suspend, UserStatus::Active) => Ok(UserStatus::Suspended),
            (Action::Suspend, _) => Err("only an active user can be suspended"),
            (Action::Deactivate, UserStatus::Deactivated) => Err("the user is already deactivated"),
            (Action::Deactivate, _) => Ok(UserStatus::Deactivated),
            (Action::Reactivate, UserStatus::Active) => Err("the user is already active"),
            (Action::Reactivate, _) => Ok(UserStatus::Active),
            (Action::ForceLogout, s) => Ok(*s),
            (Action::Delete, _) => Ok(UserStatus::Deactivated),
        }
    }

    /// The notice the user concerned gets ([`crate::notices`]).
    fn notice(self) -> Option<&'static str> {
        match self {
            Action::Suspend => Some("user.suspended"),
            Action::Deactivate => Some("user.deactivated"),
            Action::Reactivate => Some("user.reactivated"),
            Action::ForceLogout | Action::Delete => None,
        }
    }

    fn revokes_sessions(self) -> bool {
        !matches!(self, Action::Reactivate)
    }
}

pub async fn run(app: &App, call: Call, action: Action) -> Result<Reply, AppError> {
    let user: User = super::target(app, &call).await?;
    let updated = apply(app, &call, action, user).await?;
    Ok(Reply::ok(updated.public()).etag(updated.version))
}

/// Does `action` to `user` for the caller of `call`: the user as updated
/// (a route's, or one user of a bulk action's).
pub async fn apply(app: &App, call: &Call, action: Action, user: User) -> Result<User, AppError> {
    let p = call.principal()?;
    let id = user.id;
    if id == p.user_id {
        return Err(AppError::Forbidden("you cannot do this to your own account".into()));
    }
    let access = crate::access::load(&app.store, p.tenant_id).await?;
    crm_auth::grant::check_target(&crm_auth::grant::Granter::new(p, &access), &crate::access::held_roles(&access, &user))?;
    let status = action.next_status(&user.status).map_err(|m| AppError::Conflict(m.into()))?;
    let now = Timestamp::now();

    let mut updated = user.clone();
    updated.status = status;
    updated.version += 1;
    let now_deleted = action == Action::Delete;
    if now_deleted {
        updated.deleted_at = Some(now);
    }
    if action.revokes_sessions() {
        // Log out everywhere: every session opened until now is dead.
        updated.sessions_valid_after = Some(now);
    }
    let event = super::super::super::event(
        call,
        p.tenant_id,
        action.event(),
        p.user_id,
        Subject { kind: "user".into(), id: id.to_string() },
        json!({ "from": user.status, "to": status, "seat": seat_change(action, &user.status, &status) }),
    );
    let mut tx = Tx::new().put_if("user", updated.to_item()?, Condition::version_is(user.version)).emit_audited(&event);
    if now_deleted {
        tx = tx.delete("email", &crate::model::email_marker_key(&user.email), None);
        // A deleted user holds no role any more (a deactivated one still does).
        tx = crate::role_holders::follow(tx, p.tenant_id, &user.roles, &[]);
    }

    if status != UserStatus::Active {
        tx = crate::owners::keep_one(&app.store, &user, tx).await?;
    }

    if action.revokes_sessions() {
        tx = super::super::super::revoke_sessions(app, p.tenant_id, id, action.event().as_str(), now, tx).await?;
    }
    // Credentials die with their owner: a deactivated or deleted user's keys are revoked.
    if status == UserStatus::Deactivated {
        tx = super::super::super::revoke_api_keys(app, call, p.tenant_id, id, action.event().as_str(), now, tx).await?;
    }

    // Seats: a deactivated user frees one; reactivating one takes one back.
    let tenant: Tenant = app.store.get_as(&Tenant::key(p.tenant_id)).await?.ok_or(AppError::NotFound)?;
    let entitlements = crate::seats::of_model(&access, &tenant.plan);
    match seat_change(action, &user.status, &status) {
        Some("unassign") => tx = seats::release(tx, p.tenant_id),
        Some(_) => tx = seats::take(tx, p.tenant_id, &entitlements),
        None => {}
    }
    if let Some(family) = action.notice() {
        tx = crate::notices::to_user(tx, &tenant.name, &updated, family)?;
    }

    match app.store.transact(tx).await {
        Ok(()) => Ok(updated),
        Err(StoreError::ConditionFailed { label }) if label == seats::SEATS => {
            crate::notices::seat_limit_reached(app, call, &tenant.name, &entitlements, user.email.as_str()).await;
            Err(entitlements.limit_reached("users.max"))
        }
        Err(StoreError::ConditionFailed { label }) if ["user", "session", "api_key", crate::owners::OWNER].contains(&label.as_str()) => {
            Err(AppError::Conflict("the account changed meanwhile; retry".into()))
        }
        Err(e) => Err(e.into()),
    }
}

/// The seat ledger's entry of a lifecycle change (pure): deactivating or
/// deleting an active user frees a seat, reactivating a deactivated one
/// takes one. The event carries it (`seat`), for billing's ledger.
fn seat_change(action: Action, from: &UserStatus, to: &UserStatus) -> Option<&'static str> {
    if *to == UserStatus::Deactivated && *from != UserStatus::Deactivated {
        Some("unassign")
    } else if action == Action::Reactivate && *from == UserStatus::Deactivated {
        Some("assign")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        use UserStatus::*;
        assert_eq!(Action::Suspend.next_status(&Active), Ok(Suspended));
        assert!(Action::Suspend.next_status(&Deactivated).is_err());
        assert_eq!(Action::Deactivate.next_status(&Suspended), Ok(Deactivated));
        assert!(Action::Deactivate.next_status(&Deactivated).is_err());
        assert_eq!(Action::Reactivate.next_status(&Deactivated), Ok(Active));
        assert!(Action::Reactivate.next_status(&Active).is_err());
        assert_eq!(Action::ForceLogout.next_status(&Suspended), Ok(Suspended));
    }
}
