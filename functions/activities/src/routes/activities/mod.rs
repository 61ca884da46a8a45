//! Logged interactions: `POST|GET /v1/activities`, `GET|PATCH|DELETE /v1/activities/{id}`.

pub mod delete;
pub mod get;
pub mod id_get;
pub mod patch;
pub mod post;

use crm_events::{Actor, DomainEvent, Subject};
use crm_http::Call;
use crm_kernel::{AppError, EntityId};
use serde_json::Value;

use crate::activity::Activity;
use crate::App;

pub(crate) async fn load(app: &App, call: &Call) -> Result<Activity, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let x: Activity = app.store.get_as(&Activity::key(p.tenant_id, id)).await?.ok_or(AppError::NotFound)?;
    super::require_visible(app, p, x.fields.owner_user_id, x.created_by).await?;
    Ok(x)
}

pub(crate) fn event(call: &Call, kind: crm_events::EventType, a: &Activity, data: Value) -> Result<DomainEvent, AppError> {
    let p = call.principal()?;
    Ok(DomainEvent::new(p.tenant_id, kind, Actor::user(p.user_id), Subject { kind: "activity".into(), id: a.id.to_string() }, data)
        .with_request_id(call.request_id()))
}
