//! `DELETE /v1/segments/{id}`.

use crm_events::outbox::EmitExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::segment::Segment;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let s = super::load(app, &call).await?;
    let event =
        crm_events::DomainEvent::caused_by(&call, crm_events::types::SEGMENT_DELETED, super::subject(&s), json!({ "name": s.name }))?;
    app.store.transact(Tx::new().delete("segment", &Segment::key(t, s.id), Some(Condition::version_is(s.version))).emit(&event)).await?;
    Ok(Reply::no_content())
}
