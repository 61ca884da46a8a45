//! `POST /v1/_billing/recalculate {tenant_id}` — recounts the tenant's
//! open month from its usage events now (what the daily schedule does for
//! every tenant) and answers the drift of each meter.

use std::collections::BTreeMap;

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};

use crate::App;

#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Recounted {
    /// Per meter: recounted − counted (0: no drift).
    pub drift: BTreeMap<String, i64>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    super::super::require_operator(app, &call)?;
    let body: super::ForTenant = call.json()?;
    let t = super::tenant(app, &body.tenant_id).await?;
    let drift = crate::recount::recount(&app.store, t, Timestamp::now()).await?;
    Ok(Reply::ok(Recounted { drift: drift.into_iter().map(|(m, d)| (m.as_str().to_string(), d)).collect() }))
}
