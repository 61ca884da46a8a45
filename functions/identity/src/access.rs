//! The tenant's access model (`crm_auth::access`) as stored: one item, read
//! and written back under its version so two admins editing groups,
//! hierarchy or overrides at once cannot lose each other's change.

use std::collections::BTreeSet;

use crm_auth::access::{AccessModel, Source};
use crm_kernel::{AppError, TenantId};
use crm_store::tx::Condition;
use crm_store::{item, keys, Store, StoreError, Tx};

use crate::model::Tenant;

/// The label of the access item in a transaction.
pub const ACCESS: &str = "access";

/// The model (empty when the tenant never changed it).
pub async fn load(store: &Store, tenant: TenantId) -> Result<AccessModel, AppError> {
    Ok(store.get_as(&keys::tenant_access(tenant)).await?.unwrap_or_default())
}

/// Writes `next` in `tx` on condition that the stored one is still `read`.
pub fn save(tx: Tx, tenant: TenantId, read: &AccessModel, next: AccessModel) -> Result<Tx, AppError> {
    let next = AccessModel { version: read.version + 1, ..next };
    let it = item::to_item(&keys::tenant_access(tenant), &next)?;
    Ok(if read.version == 0 { tx.put_new(ACCESS, it) } else { tx.put_if(ACCESS, it, Condition::version_is(read.version)) })
}

/// A lost race on the access item is `409`, anything else as it is.
pub fn conflict(e: StoreError) -> AppError {
    match e {
        StoreError::ConditionFailed { label } if label == ACCESS => {
            AppError::Conflict("groups, roles or overrides changed meanwhile; reload and retry".into())
        }
        e => e.into(),
    }
}

/// The permission codes `user` holds under `model` (direct roles, their
/// groups' roles and everything below them in the hierarchy).
pub fn permissions_of(model: &AccessModel, user: &crate::model::User) -> BTreeSet<String> {
    model.permissions(&model.effective_roles(&user.roles, &user.group_ids))
}

/// Every role `user` holds: their own and their active groups' (what the
/// grant rule's reach is measured against — a role held through a group is
/// held all the same).
pub fn held_roles(model: &AccessModel, user: &crate::model::User) -> Vec<String> {
    model.effective_roles(&user.roles, &user.group_ids)
}

/// `403` when the change from `read` to `next` would alter the caller's own
/// permissions: nobody raises (or lowers) themselves through groups or the
/// hierarchy (`crm_auth::grant`).
pub async fn refuse_self_change(store: &Store, p: &crm_auth::Principal, read: &AccessModel, next: &AccessModel) -> Result<(), AppError> {
    let me: crate::model::User = store
        .get_as(&crate::model::User::key(p.tenant_id, p.user_id))
        .await?
        .ok_or_else(|| AppError::Forbidden("unknown caller".into()))?;
    crm_auth::grant::check_unchanged(&permissions_of(read, &me), &permissions_of(next, &me))?;
    Ok(())
}

/// The effective roles, permissions and entitlements of `user`.
pub async fn effective(app: &crate::App, user: &crate::model::User) -> Result<EffectiveAccess, AppError> {
    let tenant: Tenant = app.store.get_as(&Tenant::key(user.tenant_id)).await?.ok_or(AppError::NotFound)?;
    let m = crate::access::load(&app.store, user.tenant_id).await?;
    let roles = m.effective_roles(&user.roles, &user.group_ids);
    let (mut e, sources) = m.entitlements(&tenant.plan, &user.group_ids, &user.entitlement_overrides);
    if tenant.restricted_from.is_some_and(|from| crm_kernel::Timestamp::now() >= from) {
        // As the authorizer serves it: restricted for an unpaid invoice.
        e = e.restricted();
    }
    let source = |k: &str| sources.get(k).cloned().unwrap_or(Source::Plan);
    let features = crm_auth::entitlements::FEATURES.iter().map(|f| Feature { key: f, enabled: e.has(f), source: source(f) }).collect();
    let limits = e.limits.iter().map(|(k, n)| Limit { key: k, value: *n, source: source(k) }).collect();
    Ok(EffectiveAccess {
        user_id: user.id,
        plan: e.plan.clone(),
        permissions: m.permissions(&roles),
        roles,
        direct_roles: user.roles.clone(),
        group_ids: user.group_ids.clone(),
        features,
        limits,
    })
}

/// A user's effective access: roles (direct and inherited), permissions,
/// and each entitlement with where it came from.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct EffectiveAccess {
    pub user_id: crm_kernel::UserId,
    pub plan: String,
    pub roles: Vec<String>,
    pub direct_roles: Vec<String>,
    pub group_ids: Vec<String>,
    pub permissions: std::collections::BTreeSet<String>,
    pub features: Vec<Feature>,
    pub limits: Vec<Limit>,
}

/// A feature, on or off, and why.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Feature {
    pub key: &'static str,
    pub enabled: bool,
    #[serde(flatten)]
    pub source: Source,
}

/// A limit's value, and why.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Limit {
    pub key: &'static str,
    pub value: i64,
    #[serde(flatten)]
    pub source: Source,
}
