//! `PATCH /v1/projects/{id}` — rename, relocate, redescribe, set the
//! developer, the handover date or the reservation policy (`If-Match`
//! honoured; new terms apply to reservations made after). `project.updated`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::project::ProjectChanges;
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{keys, Tx};
use serde_json::json;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let current = catalogue::project(&app.store, p.tenant_id, catalogue::path_id(&call, "id")?).await?;
    catalogue::if_match(&call, current.version)?;
    let next = current.apply(call.json::<ProjectChanges>()?, Timestamp::now())?;
    let changes =
        crm_records::write::changes(&serde_json::to_value(&current).unwrap_or_default(), &serde_json::to_value(&next).unwrap_or_default());
    let changes: serde_json::Map<_, _> = changes.into_iter().filter(|(k, _)| !["updated_at", "version"].contains(&k.as_str())).collect();
    if changes.is_empty() {
        return Ok(Reply::ok(&current).etag(current.version));
    }
    let event = catalogue::event(&call, crm_events::types::PROJECT_UPDATED, "project", next.id, json!({ "changes": changes }))?;
    let mut tx = Tx::new().put_if("project", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    if let Some(d) = next.developer_id.filter(|d| Some(*d) != current.developer_id) {
        tx = tx.check("ref:developer_id", &keys::entity(p.tenant_id, "COMPANY", d), Condition::exists());
    }
    for (field, g) in next.new_groups(Some(&current)) {
        tx = tx.check(&format!("ref:{field}"), &keys::entity(p.tenant_id, "GROUP", g), Condition::exists());
    }
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::ok(&next).etag(next.version))
}
