//! `POST /v1/pipelines` — a pipeline with its `stages` (the default B2B
//! stages when none are given). The tenant's first pipeline is its default;
//! a second one needs `deals.multiPipelines` (`402`). `pipeline.created`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::Tx;
use serde_json::json;

use crate::App;
use crm_deals::pipeline::{default_stages, NewPipeline, Pipeline};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let asked: NewPipeline = call.json()?;
    let now = Timestamp::now();
    let mut pipeline = Pipeline {
        id: EntityId::new(),
        tenant_id: p.tenant_id,
        name: String::new(),
        description: None,
        is_active: true,
        is_default: false,
        stages: default_stages(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    pipeline.create(asked)?;
    let existing = crm_deals::write::pipelines(&app.store, p.tenant_id).await?;
    if !existing.is_empty() {
        p.entitlements.require_feature("deals.multiPipelines")?;
    }
    pipeline.is_default = !existing.iter().any(|x| x.is_default);
    let event = super::event(
        &call,
        crm_events::types::PIPELINE_CREATED,
        &pipeline,
        json!({ "name": pipeline.name, "stages": pipeline.stages.len() }),
    )?;
    app.store.transact(Tx::new().put_new("pipeline", pipeline.to_item()?).emit_audited(&event)).await?;
    Ok(Reply::created(format!("/v1/pipelines/{}", pipeline.id), &pipeline).etag(pipeline.version))
}
