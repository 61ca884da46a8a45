//! `POST /v1/notify/templates/{id}/approve` — marks a template approved
//! (for WhatsApp: the provider approved it), so dispatch uses it.

use crm_events::outbox::EmitExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::App;
use crm_notify::tenant::TenantTemplate;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let current: TenantTemplate = app.store.get_as(&TenantTemplate::key(t, id)).await?.ok_or(AppError::NotFound)?;
    if current.is_approved {
        return Ok(Reply::ok(&current).etag(current.version));
    }
    let mut next = current.clone();
    next.is_approved = true;
    next.updated_at = Timestamp::now();
    next.version += 1;
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::TEMPLATE_APPROVED,
        Subject { kind: "template".into(), id: id.to_string() },
        json!({ "code": next.code }),
    )?;
    match app.store.transact(Tx::new().put_if("template", next.to_item()?, Condition::version_is(current.version)).emit(&event)).await {
        Ok(()) => Ok(Reply::ok(&next).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
