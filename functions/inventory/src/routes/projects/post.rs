//! `POST /v1/projects` — a project, with its reservation policy (defaults:
//! reservations 7 days, at most 30; courtesy holds 24 hours, 3 per rep).
//! A `developer_id` must be a company of the tenant. `project.created`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::project::{Project, ProjectChanges};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{keys, Tx};
use serde_json::json;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let project = Project::new(p.tenant_id, p.user_id, call.json::<ProjectChanges>()?, Timestamp::now())?;
    let event = catalogue::event(&call, crm_events::types::PROJECT_CREATED, "project", project.id, json!({ "name": project.name }))?;
    let mut tx = Tx::new().put_new("project", project.to_item()?).emit_audited(&event);
    if let Some(d) = project.developer_id {
        tx = tx.check("ref:developer_id", &keys::entity(p.tenant_id, "COMPANY", d), Condition::exists());
    }
    for (field, g) in project.new_groups(None) {
        tx = tx.check(&format!("ref:{field}"), &keys::entity(p.tenant_id, "GROUP", g), Condition::exists());
    }
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::created(format!("/v1/projects/{}", project.id), &project).etag(project.version))
}
