//! `GET|PUT /v1/ops/tenants/{id}/entitlements` — the operator's grants to a
//! tenant beyond (or below) its plan: `{features: {key: bool}, limits:
//! {key: n}}`, known keys only. With the plan they are the base that the
//! tenant's own overrides may only narrow. A `PUT` replaces the grants; the
//! authorizer applies them on the next request. Audited in the tenant's log
//! as `entitlement.grant.changed` (actor: the operator).

use crm_auth::access::Overrides;
use crm_events::audit::AuditExt;
use crm_events::{Actor, DomainEvent, Subject};
use crm_http::{Call, Reply};
use crm_kernel::{AppError, TenantId};
use crm_store::Tx;
use serde_json::json;

use crate::model::Tenant;
use crate::App;

async fn tenant(app: &App, call: &Call) -> Result<Tenant, AppError> {
    super::require_operator(app, call)?;
    let id = TenantId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    app.store.get_as(&Tenant::key(id)).await?.ok_or(AppError::NotFound)
}

pub async fn get(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = tenant(app, &call).await?;
    let m = crate::access::load(&app.store, t.id).await?;
    Ok(Reply::ok(Grants { base: m.base(&t.plan).0, plan: t.plan, grants: m.operator_grants }))
}

pub async fn put(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = tenant(app, &call).await?;
    let grants = Overrides::parse(call.json::<crm_auth::access::OverridesRequest>()?)?;
    let read = crate::access::load(&app.store, t.id).await?;
    let next = crm_auth::access::AccessModel { operator_grants: grants.clone(), ..read.clone() };
    let event = DomainEvent::new(
        t.id,
        crm_events::types::ENTITLEMENT_GRANT_CHANGED,
        Actor::system(),
        Subject { kind: "tenant".into(), id: t.id.to_string() },
        json!({ "by": "operator", "from": read.operator_grants, "to": grants, "ip": call.ctx.source_ip }),
    )
    .with_request_id(call.request_id());
    let tx = crate::access::save(Tx::new().emit_audited(&event), t.id, &read, next.clone())?;
    app.store.transact(tx).await.map_err(crate::access::conflict)?;
    Ok(Reply::ok(Grants { base: next.base(&t.plan).0, plan: t.plan, grants }))
}

/// What the operator sold a tenant beyond its plan, and the base it makes.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Grants {
    pub plan: String,
    pub grants: crm_auth::access::Overrides,
    /// The plan with the grants: what the tenant's admins narrow.
    pub base: crm_auth::entitlements::Entitlements,
}
