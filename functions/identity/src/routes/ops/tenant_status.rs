//! `POST /v1/ops/tenants/{id}/suspend` and `/reactivate` — the operator
//! changes a tenant's status. A suspended tenant cannot log in and every
//! token or API key of it is refused by the authorizer from the next request
//! on (it reads the tenant on each one). Audited in the tenant's own log
//! (`tenant.suspended` / `tenant.reactivated`, with the operator's reason).

use crm_events::audit::AuditExt;
use crm_events::{Actor, DomainEvent, Subject};
use crm_http::{Call, Reply};
use crm_kernel::{AppError, TenantId};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde::Deserialize;
use serde_json::json;

use crate::model::{Tenant, TenantStatus};
use crate::App;

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    #[serde(default)]
    reason: Option<String>,
}

pub async fn suspend(app: &App, call: Call) -> Result<Reply, AppError> {
    set(app, call, TenantStatus::Suspended).await
}

pub async fn reactivate(app: &App, call: Call) -> Result<Reply, AppError> {
    set(app, call, TenantStatus::Active).await
}

async fn set(app: &App, call: Call, status: TenantStatus) -> Result<Reply, AppError> {
    super::require_operator(app, &call)?;
    let body: Reason = if call.body_bytes()?.is_empty() { Reason::default() } else { call.json()? };
    if body.reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(AppError::invalid("reason", "at most 500 characters"));
    }
    let id = TenantId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    // Billing moves the tenant's record too (its plan): a write lost to it
    // reads the record again.
    for attempt in 1..=3 {
        let tenant: Tenant = app.store.get_as(&Tenant::key(id)).await?.ok_or(AppError::NotFound)?;
        if tenant.status == status {
            return Ok(Reply::ok(&tenant));
        }
        let mut next = tenant.clone();
        next.status = status.clone();
        next.version += 1;
        let kind =
            if status == TenantStatus::Suspended { crm_events::types::TENANT_SUSPENDED } else { crm_events::types::TENANT_REACTIVATED };
        let event = DomainEvent::new(
            id,
            kind,
            Actor::system(),
            Subject { kind: "tenant".into(), id: id.to_string() },
            json!({ "by": "operator", "reason": body.reason, "ip": call.ctx.source_ip }),
        )
        .with_request_id(call.request_id());
        let item = next.to_item()?;
        match app.store.transact(Tx::new().put_if("tenant", item, Condition::version_is(tenant.version)).emit_audited(&event)).await {
            Ok(()) => return Ok(Reply::ok(&next)),
            Err(crm_store::StoreError::ConditionFailed { .. }) if attempt < 3 => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict("the tenant changed meanwhile; retry".into()))
}
