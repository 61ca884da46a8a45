//! The user directory: how every context outside identity reads a user.
//!
//! Identity owns the user item and is the only writer (its `model::User`);
//! everyone else — recipients of notices, owners of records, approvers,
//! the authorizer — reads the same [`UserView`], so the item's attribute
//! names are known in two places only: identity's model and this view.
//!
//! * [`get`] / [`get_many`]: users by id, in one tenant (a foreign id is
//!   simply absent).
//! * [`list`]: every user of the tenant (its `by_kind` user list), deleted
//!   ones left out.
//! * [`UserView::is_active`], [`UserView::is_deactivated`]: the two
//!   questions readers ask; a suspended user is neither.
//! * [`TenantView`] and [`tenant`]: the tenant's name, plan and status.

use crm_kernel::{Limit, Phone, TenantId, Timestamp, UserId};
use crm_store::{item, keys, Index, Key, Query, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `kind` of user items (and of the tenant's user list, `by_kind`).
pub const USER: &str = "USER";

/// Where a user is in their lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Suspended,
    Deactivated,
}

/// The profile fields other contexts use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ProfileView {
    /// BCP 47 language (`ar`, `en`); templates fall back to the tenant's.
    #[serde(default)]
    pub locale: Option<String>,
    /// IANA zone (`Africa/Cairo`), for quiet hours and digests.
    #[serde(default)]
    pub timezone: Option<String>,
}

/// A user as other contexts see them.
#[derive(Debug, Clone, Deserialize)]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub status: UserStatus,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub group_ids: Vec<String>,
    #[serde(default)]
    pub deleted_at: Option<Timestamp>,
    #[serde(default)]
    pub is_verified: bool,
    #[serde(default)]
    pub phone_e164: Option<Phone>,
    #[serde(default)]
    pub phone_verified_at: Option<Timestamp>,
    /// Sessions opened before this instant are dead (log out everywhere).
    #[serde(default)]
    pub sessions_valid_after: Option<Timestamp>,
    /// The user's entitlement overrides, as stored (the authorizer reads them).
    #[serde(default)]
    pub entitlement_overrides: Value,
    #[serde(default)]
    pub profile: ProfileView,
}

impl UserView {
    /// Active and not deleted: may sign in, own records, approve, receive.
    pub fn is_active(&self) -> bool {
        self.status == UserStatus::Active && self.deleted_at.is_none()
    }

    /// Deactivated (or deleted): gone for good, unlike a suspended user.
    pub fn is_deactivated(&self) -> bool {
        self.status == UserStatus::Deactivated || self.deleted_at.is_some()
    }

    /// The name to show: the full name, else the email.
    pub fn display_name(&self) -> &str {
        self.full_name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or(&self.email)
    }

    /// The phone, only once verified.
    pub fn verified_phone(&self) -> Option<&Phone> {
        self.phone_verified_at.and(self.phone_e164.as_ref())
    }

    pub fn locale(&self) -> Option<&str> {
        self.profile.locale.as_deref()
    }
}

/// A tenant as other contexts see it.
#[derive(Debug, Clone, Deserialize)]
pub struct TenantView {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub plan: String,
    /// `active` or `suspended`.
    pub status: String,
    /// From when its plan's features are restricted for an unpaid invoice
    /// (billing writes it, [`billing_sync`]).
    #[serde(default)]
    pub restricted_from: Option<crm_kernel::Timestamp>,
}

impl TenantView {
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }

    /// Whether the tenant is restricted at `now` (past due beyond its grace).
    pub fn restricted_at(&self, now: crm_kernel::Timestamp) -> bool {
        self.restricted_from.is_some_and(|from| now >= from)
    }
}

/// Billing's write to the tenant's record, in the caller's transaction: the
/// plan the authorizer builds entitlements from, and when an unpaid invoice
/// restricts it (`None`: never). The tenant's version moves, so a
/// concurrent write by identity fails rather than losing it.
pub fn billing_sync(tx: crm_store::Tx, t: TenantId, plan: &str, restricted_from: Option<crm_kernel::Timestamp>) -> crm_store::Tx {
    use crm_store::tx::Condition;
    use crm_store::AttributeValue;
    let (expression, restricted) = match restricted_from {
        Some(at) => ("SET #plan = :plan, #restricted = :restricted ADD #version :one", Some(AttributeValue::S(at.to_string()))),
        None => ("SET #plan = :plan ADD #version :one REMOVE #restricted", None),
    };
    let mut condition = Condition::exists()
        .name("#plan", "plan")
        .name("#restricted", "restricted_from")
        .name("#version", "version")
        .value(":plan", AttributeValue::S(plan.into()))
        .value(":one", AttributeValue::N("1".into()));
    if let Some(r) = restricted {
        condition = condition.value(":restricted", r);
    }
    tx.update("tenant", &keys::tenant(t), expression, condition)
}

/// Tenant `t`, if it exists.
pub async fn tenant(store: &Store, t: TenantId) -> Result<Option<TenantView>, StoreError> {
    store.get_as(&keys::tenant(t)).await
}

/// The key of user `id`'s item.
pub fn key(t: TenantId, id: UserId) -> Key {
    keys::user(t, &id.to_string())
}

/// User `id` of tenant `t`, if there is one.
pub async fn get(store: &Store, t: TenantId, id: UserId) -> Result<Option<UserView>, StoreError> {
    store.get_as(&key(t, id)).await
}

/// Users `ids` of tenant `t`, in order (one BatchGetItem; absent ones
/// `None`, and so is an item that does not read as a user: one damaged item
/// never fails the readers of the others).
pub async fn get_many(store: &Store, t: TenantId, ids: &[UserId]) -> Result<Vec<Option<UserView>>, StoreError> {
    let items = store.get_many(&ids.iter().map(|u| key(t, *u)).collect::<Vec<_>>()).await?;
    Ok(items.into_iter().map(|it| it.and_then(readable)).collect())
}

/// The user an item holds, or `None` (logged) when it does not read as one.
fn readable(it: crm_store::Item) -> Option<UserView> {
    match item::from_item::<UserView>(it) {
        Ok(u) => Some(u),
        Err(e) => {
            tracing::error!(error = %e, "a user item does not read as a user; left out");
            None
        }
    }
}

/// Every user of tenant `t` not deleted, oldest first.
pub async fn list(store: &Store, t: TenantId) -> Result<Vec<UserView>, StoreError> {
    let mut users = Vec::new();
    let mut cursor = None;
    loop {
        let q = Query::index(t, Index::ByKind, keys::by_kind_pk(t, USER)).limit(Limit::max()).after(cursor);
        let page = store.query(q).await?;
        users.extend(page.items.into_iter().filter_map(readable).filter(|u| u.deleted_at.is_none()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(users),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn view(v: Value) -> UserView {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_user_item_reads_as_a_view() {
        let id = UserId::new();
        let u = view(json!({
            "id": id, "tenant_id": TenantId::new(), "email": "a@x.eg", "full_name": "Amal", "status": "active",
            "roles": ["sales_rep"], "password_hash": "never read", "profile": { "locale": "ar", "avatar_url": null },
        }));
        assert_eq!(u.id, id);
        assert!(u.is_active() && !u.is_deactivated());
        assert_eq!(u.display_name(), "Amal");
        assert_eq!(u.locale(), Some("ar"));
        assert_eq!(u.verified_phone(), None);
    }

    #[test]
    fn suspended_is_neither_active_nor_deactivated_and_deleted_is_gone() {
        let base = json!({ "id": UserId::new(), "email": "b@x.eg", "status": "suspended" });
        let s = view(base.clone());
        assert!(!s.is_active() && !s.is_deactivated());
        let mut deleted = base;
        deleted["status"] = json!("active");
        deleted["deleted_at"] = json!(Timestamp::now());
        let d = view(deleted);
        assert!(!d.is_active() && d.is_deactivated());
        assert_eq!(d.display_name(), "b@x.eg", "no name: the email");
    }

    #[test]
    fn a_phone_counts_only_once_verified() {
        let mut v = json!({ "id": UserId::new(), "email": "c@x.eg", "status": "active", "phone_e164": "+201001234567" });
        assert_eq!(view(v.clone()).verified_phone(), None);
        v["phone_verified_at"] = json!(Timestamp::now());
        assert_eq!(view(v).verified_phone().map(|p| p.as_str()), Some("+201001234567"));
    }
}
