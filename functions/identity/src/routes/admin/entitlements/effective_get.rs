//! `GET /v1/admin/entitlements/effective?userId=` — everything that applies
//! to a user: roles (their own and their groups'), permissions (with the
//! role hierarchy), and each feature and limit with its source (`user`,
//! `group` with its id, `tenant`, `plan`) — the same computation the
//! authorizer makes on every request.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, UserId};
use serde_json::{json, Value};

use crate::model::{Tenant, User};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let raw = call.query("userId").ok_or_else(|| AppError::invalid("userId", "is required"))?;
    let id = UserId::parse(&raw).map_err(|_| AppError::NotFound)?;
    let user: User = app.store.get_as(&User::key(t, id)).await?.filter(|u: &User| u.deleted_at.is_none()).ok_or(AppError::NotFound)?;
    Ok(Reply::ok(effective(app, &user).await?))
}

/// The effective roles, permissions and entitlements of `user`.
pub(crate) async fn effective(app: &App, user: &User) -> Result<Value, AppError> {
    let tenant: Tenant = app.store.get_as(&Tenant::key(user.tenant_id)).await?.ok_or(AppError::NotFound)?;
    let m = crate::access::load(&app.store, user.tenant_id).await?;
    let roles = m.effective_roles(&user.roles, &user.group_ids);
    let (e, sources) = m.entitlements(&tenant.plan, &user.group_ids, &user.entitlement_overrides);
    // Each value with its source, flattened beside it: `{key, enabled|value, source, group_id?}`.
    let with_source = |k: &str, mut v: Value| {
        let src = sources.get(k).map(|s| json!(s)).unwrap_or_else(|| json!({ "source": "plan" }));
        v.as_object_mut().expect("object").extend(src.as_object().cloned().unwrap_or_default());
        v
    };
    let features: Vec<Value> =
        crm_auth::entitlements::FEATURES.iter().map(|f| with_source(f, json!({ "key": f, "enabled": e.has(f) }))).collect();
    let limits: Vec<Value> = e.limits.iter().map(|(k, n)| with_source(k, json!({ "key": k, "value": n }))).collect();
    Ok(json!({
        "user_id": user.id, "plan": e.plan, "roles": roles, "direct_roles": user.roles, "group_ids": user.group_ids,
        "permissions": m.permissions(&roles), "features": features, "limits": limits,
    }))
}
