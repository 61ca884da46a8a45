//! Pipelines: `GET|POST /v1/pipelines`, `GET|PATCH|DELETE /v1/pipelines/{id}`,
//! and the read models `GET /v1/pipelines/{id}/board|forecast`.

pub mod board_get;
pub mod delete;
pub mod forecast_get;
pub mod get;
pub mod id_get;
pub mod patch;
pub mod post;
pub mod stages;

use crm_events::{Actor, DomainEvent, Subject};
use crm_http::Call;
use crm_kernel::{AppError, EntityId};
use crm_store::{Item, Query};
use serde_json::Value;

use crate::App;
use crm_deals::board::Tallies;
use crm_deals::pipeline::Pipeline;

/// The pipeline `{id}` of the caller's tenant (else `404`).
pub(crate) async fn load(app: &App, call: &Call) -> Result<Pipeline, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    crm_deals::write::pipeline(&app.store, p.tenant_id, id).await
}

/// The pipeline `{id}` and its tallies: one Query of its partition (more
/// pages only past 100 month × stage tallies).
pub(crate) async fn load_with_tallies(app: &App, call: &Call) -> Result<(Pipeline, Tallies), AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let key = Pipeline::key(p.tenant_id, id);
    let (mut items, mut cursor) = (Vec::new(), None);
    loop {
        let page = app.store.query(Query::table(p.tenant_id, key.pk.clone()).limit(crm_kernel::Limit::max()).after(cursor)).await?;
        items.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let (meta, tallies): (Vec<Item>, Vec<Item>) =
        items.into_iter().partition(|it| it.get(crm_store::keys::SK).and_then(|v| v.as_s().ok()) == Some(&key.sk));
    let pipeline: Pipeline = crm_store::item::from_item(meta.into_iter().next().ok_or(AppError::NotFound)?)?;
    Ok((pipeline, Tallies::from_items(&tallies)))
}

pub(crate) fn event(call: &Call, kind: crm_events::EventType, p: &Pipeline, data: Value) -> Result<DomainEvent, AppError> {
    let who = call.principal()?;
    Ok(DomainEvent::new(who.tenant_id, kind, Actor::user(who.user_id), Subject { kind: "pipeline".into(), id: p.id.to_string() }, data)
        .with_request_id(call.request_id()))
}
