//! Who may grant what: the one rule every path that hands out roles asks
//! (user create, invite, role assignment, group default roles, group
//! membership, role hierarchy links). See `docs/adr/0016-grants-and-credential-lifecycle.md`.
//!
//! * Default roles are ranked: `super_admin` > `admin` > `manager` >
//!   `sales_rep` = `staff` > `viewer`.
//! * A principal grants (or takes away) only default roles at or below its
//!   own highest role; `super_admin` is granted only by a super admin.
//! * A custom role ([`crate::roles`]) has no rank: a principal grants it
//!   only if it holds every permission the role gives, inherited ones
//!   included — nobody hands out more than they hold.
//! * A principal changes another user's roles or account only when every role
//!   that user holds is one it could grant: an admin cannot demote an owner.
//! * Nobody changes their own roles, by any path ([`Refusal::SelfChange`]).
//!
//! Pure: the handlers load what they need and ask.

use std::collections::BTreeSet;

use crm_kernel::AppError;

use crate::access::AccessModel;
use crate::rbac::SUPER_ADMIN;

/// Who is granting: their effective roles and permissions, and the tenant's
/// access model the roles are looked up in.
#[derive(Debug, Clone, Copy)]
pub struct Granter<'a> {
    pub roles: &'a [String],
    pub permissions: &'a BTreeSet<String>,
    pub model: &'a AccessModel,
}

impl<'a> Granter<'a> {
    /// The caller, under `model`.
    pub fn new(p: &'a crate::Principal, model: &'a AccessModel) -> Self {
        Self { roles: &p.roles, permissions: &p.permissions, model }
    }
}

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
            Refusal::Above { role } => {
                format!("you may grant only roles at or below your own highest role, and custom roles whose every permission you hold; `{role}` is not one")
            }
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

/// Whether `granter` may grant `role`: never a role carrying a permission
/// the granter lacks — a custom role's, or one a default role inherits
/// through the hierarchy (a custom role linked below `staff`) — and a
/// default role only at or below the granter's rank.
pub fn may_grant(granter: &Granter, role: &str) -> bool {
    let carried = granter.model.permissions(&[role.to_string()]).is_subset(granter.permissions);
    let Some(wanted) = rank(role) else {
        return carried && granter.model.custom_roles.contains_key(role);
    };
    if role == SUPER_ADMIN {
        return granter.roles.iter().any(|r| r == SUPER_ADMIN);
    }
    carried && highest(granter.roles).is_some_and(|mine| wanted >= mine)
}

/// `Ok` when every role of `roles` may be granted by `granter`.
pub fn check_grant(granter: &Granter, roles: &[String]) -> Result<(), Refusal> {
    match roles.iter().find(|r| !may_grant(granter, r)) {
        Some(r) => Err(Refusal::Above { role: r.clone() }),
        None => Ok(()),
    }
}

/// `Ok` when `granter` may act on a user holding `target` (change their
/// roles, suspend, deactivate or delete them): every role the target holds
/// must be one the granter could grant.
pub fn check_target(granter: &Granter, target: &[String]) -> Result<(), Refusal> {
    let known = |r: &&String| rank(r).is_some() || granter.model.custom_roles.contains_key(r.as_str());
    match target.iter().filter(known).find(|r| !may_grant(granter, r)) {
        Some(r) => Err(Refusal::Outranked { role: r.clone() }),
        None => Ok(()),
    }
}

/// A role change of `target` from `before` to `after` by `granter`: the
/// target must be within reach, and so must every role added or removed.
pub fn check_change(granter: &Granter, before: &[String], after: &[String]) -> Result<(), Refusal> {
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

    /// Checks `f` as a holder of the default roles `roles` under `model`.
    fn as_holder<T>(roles: &[&str], model: &AccessModel, f: impl FnOnce(&Granter) -> T) -> T {
        let roles = r(roles);
        let permissions = model.permissions(&roles);
        f(&Granter { roles: &roles, permissions: &permissions, model })
    }

    fn may(roles: &[&str], role: &str) -> bool {
        as_holder(roles, &AccessModel::default(), |g| may_grant(g, role))
    }

    #[test]
    fn a_principal_grants_only_at_or_below_its_highest_role() {
        assert!(may(&["admin"], "admin"));
        assert!(may(&["admin"], "viewer"));
        assert!(!may(&["admin"], "super_admin"));
        assert!(!may(&["manager"], "admin"));
        assert!(may(&["manager", "viewer"], "sales_rep"));
        assert!(may(&["super_admin"], "super_admin"));
        assert!(!may(&["admin"], "root"), "unknown roles are never granted");
        assert!(!may(&[], "viewer"), "no role, no grant");
        let refused = as_holder(&["admin"], &AccessModel::default(), |g| check_grant(g, &r(&["viewer", "super_admin"])));
        assert_eq!(refused, Err(Refusal::Above { role: "super_admin".into() }));
    }

    #[test]
    fn nobody_acts_on_a_user_above_them() {
        let m = AccessModel::default();
        let target = |g: &[&str], t: &[&str]| as_holder(g, &m, |g| check_target(g, &r(t)));
        let change = |g: &[&str], b: &[&str], a: &[&str]| as_holder(g, &m, |g| check_change(g, &r(b), &r(a)));
        assert_eq!(target(&["admin"], &["super_admin"]), Err(Refusal::Outranked { role: "super_admin".into() }));
        assert!(target(&["admin"], &["admin", "viewer"]).is_ok());
        assert!(target(&["manager"], &["sales_rep"]).is_ok());
        assert!(target(&["manager"], &["admin"]).is_err());
        assert!(change(&["admin"], &["viewer"], &["manager"]).is_ok());
        assert!(change(&["admin"], &["viewer"], &["super_admin"]).is_err());
        assert!(change(&["super_admin"], &["super_admin"], &["admin"]).is_ok());
    }

    #[test]
    fn a_custom_role_is_granted_only_by_who_holds_all_it_gives() {
        let all: BTreeSet<String> = crate::rbac::ALL.iter().map(|p| p.0.to_string()).collect();
        let new = |code: &str, perms: &[&str]| {
            serde_json::from_value::<crate::roles::RoleChanges>(serde_json::json!({"code": code, "name": code, "permissions": perms}))
                .unwrap()
        };
        let now = crm_kernel::Timestamp::now();
        let (m, _) = AccessModel::default().create_role(new("reader", &["deal.read"]), &all, 9, now).unwrap();
        let (m, _) = m.create_role(new("keeper", &["user.manage"]), &all, 9, now).unwrap();
        assert!(as_holder(&["viewer"], &m, |g| may_grant(g, "reader")), "a viewer holds deal.read");
        assert!(!as_holder(&["manager"], &m, |g| may_grant(g, "keeper")), "a manager lacks user.manage");
        assert!(as_holder(&["admin"], &m, |g| may_grant(g, "keeper")));
        assert_eq!(
            as_holder(&["manager"], &m, |g| check_target(g, &r(&["keeper"]))),
            Err(Refusal::Outranked { role: "keeper".into() }),
            "nor acts on its holders"
        );
        // What a role inherits counts as what it gives, a default role's too.
        let linked = m.add_edge("reader", "admin").unwrap();
        assert!(!as_holder(&["manager"], &linked, |g| may_grant(g, "reader")));
        let below_staff = m.add_edge("staff", "keeper").unwrap();
        let rep = r(&["sales_rep"]);
        let rep_holds = AccessModel::default().permissions(&rep);
        let g = Granter { roles: &rep, permissions: &rep_holds, model: &below_staff };
        assert!(!may_grant(&g, "staff"), "staff now carries user.manage, which a rep lacks");
        assert!(may_grant(&g, "viewer"));
        assert!(check_target(&g, &r(&["staff"])).is_err(), "nor acts on a holder of it");
    }

    #[test]
    fn ranks_are_ordered() {
        let order: Vec<u8> = crate::rbac::ROLES.iter().filter_map(|r| rank(r)).collect();
        assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
        assert_eq!(highest(&r(&["viewer", "manager"])), Some(2));
        assert_eq!(check_unchanged(&1, &2), Err(Refusal::SelfChange));
    }
}
