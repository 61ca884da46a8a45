//! `GET /v1/admin/users/{id}/effective-entitlements` — the features and
//! limits that apply to the user, each with its source. Today every value
//! comes from the tenant's plan; group and user overrides (precedence user >
//! group (max) > plan) add their sources here when groups arrive.

use crm_auth::entitlements::Entitlements;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use serde_json::json;

use crate::model::Tenant;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let user = super::target(app, &call).await?;
    let tenant: Tenant = app.store.get_as(&Tenant::key(user.tenant_id)).await?.ok_or(AppError::NotFound)?;
    let e = Entitlements::for_plan(&tenant.plan);
    let features: Vec<_> = crm_auth::entitlements::FEATURES
        .iter()
        .map(|f| json!({ "key": f, "enabled": e.has(f), "source": "plan", "why": format!("plan {} {} it", e.plan, if e.has(f) { "includes" } else { "does not include" }) }))
        .collect();
    let limits: Vec<_> = e.limits.iter().map(|(k, v)| json!({ "key": k, "value": v, "source": "plan" })).collect();
    Ok(Reply::ok(json!({ "user_id": user.id, "plan": e.plan, "features": features, "limits": limits })))
}
