//! `DELETE /v1/pipelines/{id}` — only a pipeline without deals (`409`
//! otherwise: move or delete them first, or archive it), and never the
//! default one. `pipeline.deleted`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::{keys, Index, Query, StoreError, Tx};
use serde_json::json;

use crate::App;
use crm_deals::deal::Deal;
use crm_deals::pipeline::Pipeline;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let (pipeline, tallies) = super::load_with_tallies(app, &call).await?;
    if call.if_match()?.is_some_and(|v| v != pipeline.version) {
        return Err(AppError::PreconditionFailed);
    }
    if pipeline.is_default {
        return Err(AppError::Conflict("the default pipeline cannot be deleted; make another one the default first".into()));
    }
    let t = p.tenant_id;
    let any = app
        .store
        .query(Query::index(t, Index::ByLookup, Deal::pipeline_pk(t, pipeline.id)).limit(crm_kernel::Limit::parse(Some("1"))?))
        .await?;
    if !any.items.is_empty() || tallies.stages.values().any(|s| s.count > 0) {
        return Err(AppError::Conflict("the pipeline has deals: move or delete them first, or archive it (is_active: false)".into()));
    }
    let event = super::event(&call, crm_events::types::PIPELINE_DELETED, &pipeline, json!({ "name": pipeline.name }))?;
    let mut tx = Tx::new().delete("pipeline", &Pipeline::key(t, pipeline.id), Some(Condition::version_is(pipeline.version)));
    // Empty tallies go with it, each still empty when it goes (a deal created meanwhile stops the delete).
    for stage in tallies.stages.keys() {
        tx = tx.delete("tally", &keys::stage_tally(t, &pipeline.id.to_string(), stage), Some(Condition::absent_or_zero("count")));
    }
    match app.store.transact(tx.emit_audited(&event)).await {
        Ok(()) => Ok(Reply::no_content()),
        Err(StoreError::ConditionFailed { label }) if label == "tally" => Err(AppError::Conflict("the pipeline has deals".into())),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
