//! One module per route: `routes/{resource}/{method}.rs`.

pub mod activities;
pub mod activity;
pub mod notes;
pub mod tasks;
pub mod timeline;

use crm_auth::Principal;
use crm_kernel::{AppError, UserId};

use crate::App;

/// `404` unless `p` may see a task or activity (ADR 0013): its owner is in
/// `p`'s reach, or `p` created it.
pub(crate) async fn require_visible(app: &App, p: &Principal, owner: Option<UserId>, created_by: UserId) -> Result<(), AppError> {
    if created_by == p.user_id {
        return Ok(());
    }
    crm_auth::audience::require_visible(&app.store, p, owner, false).await
}

/// The conditions that keep a list of tasks, activities or timeline rows to
/// what `p` sees (none for a tenant where everyone sees everything).
pub(crate) async fn visible(app: &App, p: &Principal) -> Result<Vec<crm_store::Filter>, AppError> {
    let owners = crm_auth::audience::owners(&app.store, p).await?;
    Ok(crm_auth::audience::filters(p, owners.as_ref(), Some("created_by")))
}

/// The spec's rule for activities and tasks: owners read and update their own records; managers and
/// admins all of them; the creator too, while it is not reassigned away.
pub fn may_change(p: &Principal, owner: Option<UserId>, created_by: UserId) -> bool {
    owner.is_none_or(|o| o == p.user_id)
        || created_by == p.user_id
        || p.roles.iter().any(|r| matches!(r.as_str(), "super_admin" | "admin" | "manager"))
}

pub(crate) fn require_change(p: &Principal, owner: Option<UserId>, created_by: UserId) -> Result<(), AppError> {
    if may_change(p, owner, created_by) {
        Ok(())
    } else {
        Err(AppError::Forbidden("only the owner, the creator, a manager or an admin may change this".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_auth::AuthMethod;
    use crm_kernel::TenantId;

    #[test]
    fn owners_creators_managers_and_admins_change() {
        let t = TenantId::new();
        let rep = Principal::with_roles(t, UserId::new(), vec!["sales_rep".into()], AuthMethod::AccessToken);
        let other = UserId::new();
        assert!(may_change(&rep, Some(rep.user_id), other));
        assert!(may_change(&rep, Some(other), rep.user_id));
        assert!(!may_change(&rep, Some(other), other));
        let boss = Principal::with_roles(t, UserId::new(), vec!["manager".into()], AuthMethod::AccessToken);
        assert!(may_change(&boss, Some(other), other));
    }
}
