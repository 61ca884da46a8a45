//! `DELETE /v1/leads/{id}` — owner, manager or admin; `If-Match` honoured.
//! Its search terms and its place in `leads.max` go in the same
//! transaction; `lead.deleted`. What a converted lead became stays.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::lead::{Lead, LEAD};
use crate::{search_index, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    crm_records::write::require_change(&p, current.fields.owner_user_id, call.if_match()?, current.version)?;
    let data = json!({ "full_name": current.fields.full_name(), "status": current.fields.status });
    let tx = Tx::new()
        .delete("lead", &Lead::key(p.tenant_id, current.id), Some(Condition::version_is(current.version)))
        .emit_audited(&crate::leads::event(&p, Some(call.request_id()), crm_events::types::LEAD_DELETED, &current, data));
    let tx = search_index::write(tx, p.tenant_id, LEAD, current.id, &current.fields.terms(), &[])?;
    let tx = crm_records::write::release_quota(tx, p.tenant_id, "leads.max");
    app.store.transact(tx).await.map_err(|e| crate::leads::refused(&p, e))?;
    Ok(Reply::no_content())
}
