//! `GET /v1/admin/plan` — the tenant's plan: features, limits and usage.

use crm_auth::entitlements::Entitlements;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::item::ItemExt;
use crm_store::keys;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let found = app.store.get_many(&[keys::tenant(t), keys::usage(t)]).await?;
    let plan = found[0].as_ref().and_then(|i| i.str_attr("plan").map(str::to_string)).ok_or(AppError::NotFound)?;
    let seats_used = found[1].as_ref().and_then(|i| i.num_attr("seats_used")).unwrap_or(0);
    let e = Entitlements::for_plan(&plan);
    Ok(Reply::ok(PlanView { plan: e.plan, features: e.features, limits: e.limits, usage: Usage { seats_used } }))
}

/// The tenant's plan: its features, limits and usage.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct PlanView {
    pub plan: String,
    /// The features the plan has.
    pub features: Vec<&'static str>,
    pub limits: std::collections::BTreeMap<&'static str, i64>,
    pub usage: Usage,
}

/// What the tenant uses of its limits.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Usage {
    #[serde(rename = "seats.used")]
    pub seats_used: i64,
}
