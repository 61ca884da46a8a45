//! One module per route: `routes/{resource}/{action}.rs`.

pub mod companies;

use crm_auth::Principal;
use crm_events::{Actor, DomainEvent, Subject};
use crm_http::Call;
use crm_kernel::{AppError, UserId};
use serde_json::Value;

/// A domain event caused by the caller, tagged with the request.
pub(crate) fn event(call: &Call, kind: &str, subject: Subject, data: Value) -> Result<DomainEvent, AppError> {
    let p = call.principal()?;
    Ok(DomainEvent::new(p.tenant_id, kind, Actor::user(p.user_id), subject, data).with_request_id(call.request_id()))
}

/// M3CoreCRM §3 visibility: everyone may read; the owner, a manager or an
/// admin may change a record (a record without owner: anyone allowed to edit).
pub fn may_edit(p: &Principal, owner: Option<UserId>) -> bool {
    owner.is_none_or(|o| o == p.user_id) || p.roles.iter().any(|r| matches!(r.as_str(), "super_admin" | "admin" | "manager"))
}

pub(crate) fn require_edit(p: &Principal, owner: Option<UserId>) -> Result<(), AppError> {
    if may_edit(p, owner) {
        Ok(())
    } else {
        Err(AppError::Forbidden("only the owner, a manager or an admin may change this record".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_auth::AuthMethod;
    use crm_kernel::TenantId;

    #[test]
    fn owners_managers_and_admins_edit() {
        let t = TenantId::new();
        let rep = Principal::with_roles(t, UserId::new(), vec!["sales_rep".into()], AuthMethod::AccessToken);
        let boss = Principal::with_roles(t, UserId::new(), vec!["manager".into()], AuthMethod::AccessToken);
        assert!(may_edit(&rep, Some(rep.user_id)));
        assert!(may_edit(&rep, None));
        assert!(!may_edit(&rep, Some(boss.user_id)));
        assert!(may_edit(&boss, Some(rep.user_id)));
    }
}
