//! `PATCH /v1/segments/{id}` — `{name?, filter?}` (`If-Match` honoured).

use crm_events::outbox::EmitExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::segment::check_filter;
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    name: Option<String>,
    filter: Option<Value>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let current = super::load(app, &call).await?;
    let b: Body = call.json()?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let mut next = current.clone();
    if let Some(n) = b.name {
        next.name = super::check_name(&n)?;
    }
    if let Some(f) = b.filter {
        check_filter(&next.entity, &f)?;
        next.filter = f;
    }
    next.updated_at = Timestamp::now();
    next.version += 1;
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::SEGMENT_UPDATED,
        super::subject(&next),
        json!({ "name": next.name, "filter": next.filter }),
    )?;
    match app.store.transact(Tx::new().put_if("segment", next.to_item()?, Condition::version_is(current.version)).emit(&event)).await {
        Ok(()) => Ok(Reply::ok(&next).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
