//! Who sees which records (the spec, on contacts: "all staff can view unless
//! restricted by team scopes; private contacts owner-only"; on activities and tasks: "owners
//! can always read their own; admins all; team visibility from the groups and role tree").
//! ADR 0013.
//!
//! A tenant chooses its [`Mode`] in its access model:
//!
//! * [`Mode::All`] (the default) — every user with the read permission sees
//!   every record;
//! * [`Mode::Team`] — a user sees the records they own, records nobody
//!   owns, and the records of their **team**: the members of their active
//!   groups, and the holders of the roles below theirs in the role hierarchy
//!   (a `manager` over `sales_rep` sees every rep's records).
//!
//! Admins see everything. A **private** record (`contacts.privateRecords`)
//! is seen by its owner and by admins only, in either mode.
//!
//! The rules here are pure; callers load the tenant's users
//! ([`Colleague`], one key-condition query) to turn a scope into the set of
//! owners a list may show, or the one owner of a record they read.

use std::collections::BTreeSet;

use crm_kernel::UserId;
use serde::{Deserialize, Serialize};

use crate::Principal;

/// The tenant's record visibility.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    All,
    Team,
}

impl Mode {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "all" => Some(Self::All),
            "team" => Some(Self::Team),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Team => "team",
        }
    }
}

/// What the authorizer knows of the caller's reach, carried on the principal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub mode: Mode,
    /// The caller's active groups.
    pub groups: Vec<String>,
    /// Every role below the caller's roles in the hierarchy.
    pub managed_roles: Vec<String>,
}

/// A user of the tenant as visibility needs them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Colleague {
    pub id: UserId,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub group_ids: Vec<String>,
}

impl From<&crm_directory::UserView> for Colleague {
    fn from(u: &crm_directory::UserView) -> Self {
        Self { id: u.id, roles: u.roles.clone(), group_ids: u.group_ids.clone() }
    }
}

/// Whether `p` sees every owner's records (an admin, or a tenant in
/// [`Mode::All`]). An API key sees what its creator sees.
pub fn sees_everyone(p: &Principal) -> bool {
    p.scope.mode == Mode::All || is_admin(p)
}

pub fn is_admin(p: &Principal) -> bool {
    p.roles.iter().any(|r| matches!(r.as_str(), "super_admin" | "admin"))
}

/// Whether `owner` is in `p`'s team (shares an active group with `p`, or
/// holds a role below `p`'s). `p` is in their own team.
pub fn in_team(p: &Principal, owner: &Colleague) -> bool {
    owner.id == p.user_id
        || owner.group_ids.iter().any(|g| p.scope.groups.contains(g))
        || owner.roles.iter().any(|r| p.scope.managed_roles.contains(r))
}

/// The owners whose records `p` may list: `None` when `p` sees everyone's.
pub fn audience(p: &Principal, users: &[Colleague]) -> Option<BTreeSet<UserId>> {
    if sees_everyone(p) {
        return None;
    }
    let mut owners: BTreeSet<UserId> = users.iter().filter(|u| in_team(p, u)).map(|u| u.id).collect();
    owners.insert(p.user_id);
    Some(owners)
}

/// May `p` see a record `owner` owns? `owner_profile` is the owner as a
/// colleague (needed only in team mode; `None` if they are gone).
pub fn may_see(p: &Principal, owner: Option<UserId>, private: bool, owner_profile: Option<&Colleague>) -> bool {
    if sees_private(p, owner) {
        return true;
    }
    if private {
        return false;
    }
    match owner {
        None => true,
        Some(_) if sees_everyone(p) => true,
        Some(_) => owner_profile.is_some_and(|o| in_team(p, o)),
    }
}

/// Whether `p` sees `owner`'s records even when private: their own, or as an admin.
pub fn sees_private(p: &Principal, owner: Option<UserId>) -> bool {
    owner == Some(p.user_id) || is_admin(p)
}

/// Whether deciding [`may_see`] for this record needs its owner's profile.
pub fn needs_profile(p: &Principal, owner: Option<UserId>, private: bool) -> bool {
    !private && owner.is_some_and(|o| o != p.user_id) && !sees_everyone(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AuthMethod;
    use crm_kernel::TenantId;

    fn user(roles: &[&str], groups: &[&str]) -> Colleague {
        Colleague {
            id: UserId::new(),
            roles: roles.iter().map(|s| s.to_string()).collect(),
            group_ids: groups.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn principal(u: &Colleague, mode: Mode, managed: &[&str]) -> Principal {
        let mut p = Principal::with_roles(TenantId::new(), u.id, u.roles.clone(), AuthMethod::AccessToken);
        p.scope = Scope { mode, groups: u.group_ids.clone(), managed_roles: managed.iter().map(|s| s.to_string()).collect() };
        p
    }

    #[test]
    fn team_mode_shows_own_group_and_managed_roles() {
        let (me, mate, stranger, rep) =
            (user(&["staff"], &["G1"]), user(&["staff"], &["G1", "G2"]), user(&["staff"], &["G3"]), user(&["sales_rep"], &[]));
        let p = principal(&me, Mode::Team, &[]);
        let seen = audience(&p, &[me.clone(), mate.clone(), stranger.clone(), rep.clone()]).unwrap();
        assert_eq!(seen, [me.id, mate.id].into_iter().collect());
        assert!(may_see(&p, Some(mate.id), false, Some(&mate)));
        assert!(!may_see(&p, Some(stranger.id), false, Some(&stranger)));
        assert!(may_see(&p, None, false, None), "a record nobody owns is everyone's");

        let boss = principal(&user(&["manager"], &[]), Mode::Team, &["sales_rep"]);
        assert!(may_see(&boss, Some(rep.id), false, Some(&rep)) && !may_see(&boss, Some(me.id), false, Some(&me)));
    }

    #[test]
    fn everyone_mode_admins_and_private_records() {
        let (me, other) = (user(&["staff"], &[]), user(&["staff"], &[]));
        let p = principal(&me, Mode::All, &[]);
        assert_eq!(audience(&p, &[]), None);
        assert!(may_see(&p, Some(other.id), false, None));
        assert!(!may_see(&p, Some(other.id), true, None), "private: the owner only");
        assert!(may_see(&p, Some(me.id), true, None));
        let admin = principal(&user(&["admin"], &[]), Mode::Team, &[]);
        assert!(may_see(&admin, Some(other.id), true, None) && audience(&admin, &[]).is_none());
        assert!(!needs_profile(&p, Some(other.id), false) && needs_profile(&principal(&me, Mode::Team, &[]), Some(other.id), false));
    }
}
