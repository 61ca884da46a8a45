//! The handlers of both type-code dictionaries, over [`crm_dictionaries`].

use crm_dictionaries::{Dictionary, Entry};
use crm_events::{DomainEvent, EventType, Subject};
use crm_http::{Call, Reply};
use crm_inventory::codes::{COMPONENT_TYPE_CODES, UNIT_TYPE_CODES};
use crm_kernel::AppError;
use serde_json::Value;

use crate::App;

fn path(d: &Dictionary) -> &'static str {
    if d.name == UNIT_TYPE_CODES.name {
        "unit-type-codes"
    } else {
        "component-type-codes"
    }
}

/// The events of the call's user, tagged with the request.
fn events_of(call: &Call) -> Result<impl Fn(EventType, Subject, Value) -> DomainEvent + Sync + '_, AppError> {
    let p = call.principal()?;
    let (t, u) = (p.tenant_id, p.user_id);
    Ok(move |kind, subject, data| DomainEvent::new(t, kind, crm_events::Actor::user(u), subject, data).with_request_id(call.request_id()))
}

async fn list(app: &App, call: Call, d: &Dictionary) -> Result<Reply, AppError> {
    let entries: Vec<Entry> = crm_dictionaries::load(&app.store, call.principal()?.tenant_id, d).await?;
    Ok(Reply::ok(entries))
}

async fn create(app: &App, call: Call, d: &Dictionary) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let event = events_of(&call)?;
    let entry = crm_dictionaries::create(&app.store, p, d, call.json()?, &event).await?;
    Ok(Reply::created(format!("/v1/admin/{}/{}", path(d), entry.code), entry))
}

async fn update(app: &App, call: Call, d: &Dictionary) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let event = events_of(&call)?;
    let entry = crm_dictionaries::update(&app.store, p, d, &call.path("code")?, call.if_match()?, call.json()?, &event).await?;
    let v = entry.version;
    Ok(Reply::ok(entry).etag(v))
}

async fn retire(app: &App, call: Call, d: &Dictionary) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let event = events_of(&call)?;
    crm_dictionaries::retire(&app.store, p, d, &call.path("code")?, call.if_match()?, &event).await?;
    Ok(Reply::no_content())
}

pub async fn unit_types_get(app: &App, call: Call) -> Result<Reply, AppError> {
    list(app, call, &UNIT_TYPE_CODES).await
}
pub async fn unit_types_post(app: &App, call: Call) -> Result<Reply, AppError> {
    create(app, call, &UNIT_TYPE_CODES).await
}
pub async fn unit_types_patch(app: &App, call: Call) -> Result<Reply, AppError> {
    update(app, call, &UNIT_TYPE_CODES).await
}
pub async fn unit_types_delete(app: &App, call: Call) -> Result<Reply, AppError> {
    retire(app, call, &UNIT_TYPE_CODES).await
}
pub async fn component_types_get(app: &App, call: Call) -> Result<Reply, AppError> {
    list(app, call, &COMPONENT_TYPE_CODES).await
}
pub async fn component_types_post(app: &App, call: Call) -> Result<Reply, AppError> {
    create(app, call, &COMPONENT_TYPE_CODES).await
}
pub async fn component_types_patch(app: &App, call: Call) -> Result<Reply, AppError> {
    update(app, call, &COMPONENT_TYPE_CODES).await
}
pub async fn component_types_delete(app: &App, call: Call) -> Result<Reply, AppError> {
    retire(app, call, &COMPONENT_TYPE_CODES).await
}
