//! `DELETE /v1/companies/{id}` — remove a company and its search terms
//! (`If-Match` honoured); the owner, a manager or an admin only; `company.deleted`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::company::{Company, COMPANY};
use crate::{search_index, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    super::super::require_edit(&p, current.fields.owner_user_id)?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::COMPANY_DELETED,
        crate::companies::subject(&current),
        json!({ "name": current.fields.name }),
    )?;
    let tx = Tx::new()
        .delete("company", &Company::key(p.tenant_id, current.id), Some(Condition::version_is(current.version)))
        .emit_audited(&event);
    let tx = search_index::write(tx, p.tenant_id, COMPANY, current.id, &current.fields.terms(), &[])?;
    let tx = super::super::release_quota(tx, p.tenant_id, "companies.max");
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::no_content()),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
