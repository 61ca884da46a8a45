//! `PATCH /v1/pipelines/{id}` — rename, describe, archive (`is_active:
//! false`: no new deals) or make it the default (`is_default: true`; the
//! old default stops being it in the same transaction). `If-Match`
//! honoured; stages change through `/v1/pipelines/{id}/stages`. `pipeline.updated`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::App;
use crm_deals::pipeline::PipelineChanges;
use crm_kernel::fields::Input;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    let mut changes: PipelineChanges = call.json()?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let make_default = match std::mem::take(&mut changes.is_default) {
        Input::Absent => false,
        Input::Given(true) => true,
        _ => return Err(AppError::invalid("is_default", "may only be set to true (another pipeline stops being the default)")),
    };
    let mut next = current.clone();
    next.change(changes)?;
    let mut tx = Tx::new();
    if make_default && !current.is_default {
        next.is_default = true;
        for mut old in crm_deals::write::pipelines(&app.store, p.tenant_id).await?.into_iter().filter(|x| x.is_default) {
            let v = old.version;
            old.is_default = false;
            old.version += 1;
            tx = tx.put_if("old_default", old.to_item()?, Condition::version_is(v));
        }
    }
    if next.is_default && !next.is_active {
        return Err(AppError::invalid("is_active", "the default pipeline cannot be archived; make another one the default first"));
    }
    let changes = crm_records::write::changes(
        &json!({ "name": current.name, "description": current.description, "is_active": current.is_active, "is_default": current.is_default }),
        &json!({ "name": next.name, "description": next.description, "is_active": next.is_active, "is_default": next.is_default }),
    );
    if changes.is_empty() {
        return Ok(Reply::ok(&current).etag(current.version));
    }
    next.updated_at = Timestamp::now();
    next.version += 1;
    let event = super::event(&call, crm_events::types::PIPELINE_UPDATED, &next, json!({ "changes": changes }))?;
    match app.store.transact(tx.put_if("pipeline", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event)).await {
        Ok(()) => Ok(Reply::ok(&next).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
