//! Who may grant what: the one rule every path that hands out roles asks
//! (user create, invite, role assignment, group default roles, group
//! membership, role hierarchy links). See `docs/adr/0016-grants-and-credential-lifecycle.md`.
//!
//! * Roles are ranked: `super_admin` > `admin` > `manager` > `sales_rep` =
//!   `staff` > `viewer`.
//! * A principal grants (or takes away) only roles at or below its own
//!   highest role; `super_admin` is granted only by a super admin.
//! * A principal changes another user's roles or account only when every role
//!   that user holds is one it could grant: an admin cannot demote an owner.
//! * Nobody changes their own roles, by any path ([`Refusal::SelfChange`]).
//!
//! Pure: the handlers load what they need and ask.

use crm_kernel::AppError;

use crate::rbac::SUPER_ADMIN;

/// The rank of a default role: 0 is the most powerful. Unknown roles have none.
pub fn rank(role: &str) -> Option<u8> {
    match role {
        "super_admin" => Some(0),
        "admin" => Some(1),
        "manager" => Some(2),
        "sales_rep" | "staff" => Some(3),
        "viewer" => Some(4),
        _ => None,
    }
}

/// The most powerful rank among `roles` (`None`: no known role).
pub fn highest(roles: &[String]) -> Option<u8> {
    roles.iter().filter_map(|r| rank(r)).min()
}

/// Why a grant is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The role is above the granter's highest role (or is `super_admin`).
    Above { role: String },
    /// The target holds a role the granter could not grant.
    Outranked { role: String },
    /// The change would alter the granter's own roles or permissions.
    SelfChange,
}

impl Refusal {
    /// `403 FORBIDDEN`, naming the rule.
    pub fn into_error(self) -> AppError {
        AppError::Forbidden(match self {
            Refusal::Above { role } if role == SUPER_ADMIN => "only a super_admin can grant or remove super_admin".into(),
            Refusal::Above { role } => format!("you may grant only roles at or below your own highest role; `{role}` is above it"),
            Refusal::Outranked { role } => format!("the user holds `{role}`, a role above what you may grant"),
            Refusal::SelfChange => "nobody changes their own roles or permissions, by any path".into(),
        })
    }
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        r.into_error()
    }
}

/// Whether a holder of `granter` may grant `role`.
pub fn may_grant(granter: &[String], role: &str) -> bool {
    let Some(wanted) = rank(role) else { return false };
    if role == SUPER_ADMIN {
        return granter.iter().any(|r| r == SUPER_ADMIN);
    }
    highest(granter).is_some_and(|mine| wanted >= mine)
}

/// `Ok` when every role of `roles` may be granted by `granter`.
pub fn check_grant(granter: &[String], roles: &[String]) -> Result<(), Refusal> {
    match roles.iter().find(|r| !may_grant(granter, r)) {
        Some(r) => Err(Refusal::Above { role: r.clone() }),
        None => Ok(()),
    }
}

/// `Ok` when `granter` may act on a user holding `target` (change their
/// roles, suspend, deactivate or delete them): every role the target holds
/// must be one the granter could grant.
pub fn check_target(granter: &[String], target: &[String]) -> Result<(), Refusal> {
    match target.iter().filter(|r| rank(r).is_some()).find(|r| !may_grant(granter, r)) {
        Some(r) => Err(Refusal::Outranked { role: r.clone() }),
        None => Ok(()),
    }
}

/// A role change of `target` from `before` to `after` by `granter`: the
/// target must be within reach, and so must every role added or removed.
pub fn check_change(granter: &[String], before: &[String], after: &[String]) -> Result<(), Refusal> {
    check_target(granter, before)?;
    let changed: Vec<String> =
        after.iter().filter(|r| !before.contains(r)).chain(before.iter().filter(|r| !after.contains(r))).cloned().collect();
    check_grant(granter, &changed)
}

/// `Err(SelfChange)` when `before != after` (the caller's own permissions).
pub fn check_unchanged<T: PartialEq>(before: &T, after: &T) -> Result<(), Refusal> {
    if before == after {
        Ok(())
    } else {
        Err(Refusal::SelfChange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_principal_grants_only_at_or_below_its_highest_role() {
        assert!(may_grant(&r(&["admin"]), "admin"));
        assert!(may_grant(&r(&["admin"]), "viewer"));
        assert!(!may_grant(&r(&["admin"]), "super_admin"));
        assert!(!may_grant(&r(&["manager"]), "admin"));
        assert!(may_grant(&r(&["manager", "viewer"]), "sales_rep"));
        assert!(may_grant(&r(&["super_admin"]), "super_admin"));
        assert!(!may_grant(&r(&["admin"]), "root"), "unknown roles are never granted");
        assert!(!may_grant(&[], "viewer"), "no role, no grant");
        assert_eq!(check_grant(&r(&["admin"]), &r(&["viewer", "super_admin"])), Err(Refusal::Above { role: "super_admin".into() }));
    }

    #[test]
    fn nobody_acts_on_a_user_above_them() {
        assert_eq!(check_target(&r(&["admin"]), &r(&["super_admin"])), Err(Refusal::Outranked { role: "super_admin".into() }));
        assert!(check_target(&r(&["admin"]), &r(&["admin", "viewer"])).is_ok());
        assert!(check_target(&r(&["manager"]), &r(&["sales_rep"])).is_ok());
        assert!(check_target(&r(&["manager"]), &r(&["admin"])).is_err());
        assert!(check_change(&r(&["admin"]), &r(&["viewer"]), &r(&["manager"])).is_ok());
        assert!(check_change(&r(&["admin"]), &r(&["viewer"]), &r(&["super_admin"])).is_err());
        assert!(check_change(&r(&["super_admin"]), &r(&["super_admin"]), &r(&["admin"])).is_ok());
    }

    #[test]
    fn ranks_are_ordered() {
        let order: Vec<u8> = crate::rbac::ROLES.iter().filter_map(|r| rank(r)).collect();
        assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
        assert_eq!(highest(&r(&["viewer", "manager"])), Some(2));
        assert_eq!(check_unchanged(&1, &2), Err(Refusal::SelfChange));
    }
}
