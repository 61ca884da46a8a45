//! `/v1/_billing/*` — the spec's internal billing routes (M3CoreCRM §13:
//! `usage-event`, `recalculate`, `rollover`), for the SaaS operator and its
//! tools, behind the operator key like `/v1/ops/*`. Each names its tenant
//! in the body (`tenant_id`): no tenant's token reaches them.

pub mod recalculate_post;
pub mod rollover_post;
pub mod usage_event_post;

use crm_kernel::{AppError, TenantId};

use crate::App;

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForTenant {
    pub tenant_id: String,
}

/// The tenant a body names, if it exists.
pub(crate) async fn tenant(app: &App, raw: &str) -> Result<TenantId, AppError> {
    let t = TenantId::parse(raw).map_err(|_| AppError::invalid("tenant_id", "a tenant id"))?;
    crm_directory::tenant(&app.store, t).await?.ok_or_else(|| AppError::invalid("tenant_id", "no such tenant"))?;
    Ok(t)
}
