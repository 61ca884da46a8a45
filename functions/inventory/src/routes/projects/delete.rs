//! `DELETE /v1/projects/{id}` — only a project without buildings (`409`
//! otherwise): its tally of buildings must be zero in the transaction that
//! deletes it, so a building created meanwhile stops the delete.
//! `project.deleted`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::project::{Project, PROJECT};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::{keys, StoreError, Tx};
use serde_json::json;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let project = catalogue::project(&app.store, t, catalogue::path_id(&call, "id")?).await?;
    catalogue::if_match(&call, project.version)?;
    let event = catalogue::event(&call, crm_events::types::PROJECT_DELETED, "project", project.id, json!({ "name": project.name }))?;
    let tx = Tx::new()
        .delete("project", &Project::key(t, project.id), Some(Condition::version_is(project.version)))
        .delete("tally", &keys::children_tally(t, PROJECT, project.id), Some(Condition::absent_or_zero("buildings")))
        .emit_audited(&event);
    match app.store.transact(tx).await {
        Err(StoreError::ConditionFailed { label }) if label == "tally" => {
            return Err(AppError::Conflict("the project has buildings: delete them first".into()))
        }
        other => other.map_err(|e| catalogue::refused(p, e))?,
    }
    Ok(Reply::no_content())
}
