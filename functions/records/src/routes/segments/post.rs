//! `POST /v1/segments` — `{entity, name, filter}`; the filter is checked as
//! the entity's list would check it.

use crm_events::outbox::EmitExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::Tx;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::segment::{check_filter, Segment};
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    entity: String,
    name: String,
    #[serde(default)]
    filter: Value,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let b: Body = call.json()?;
    let filter = if b.filter.is_null() { json!({}) } else { b.filter };
    check_filter(&b.entity, &filter)?;
    let now = Timestamp::now();
    let s = Segment {
        id: EntityId::new(),
        tenant_id: p.tenant_id,
        entity: b.entity,
        name: super::check_name(&b.name)?,
        filter,
        created_by: p.user_id,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::SEGMENT_CREATED,
        super::subject(&s),
        json!({ "entity": s.entity, "name": s.name }),
    )?;
    app.store.transact(Tx::new().put_new("segment", s.to_item()?).emit(&event)).await?;
    Ok(Reply::created(format!("/v1/segments/{}", s.id), &s).etag(s.version))
}
