//! `PATCH /v1/companies/{id}` — change fields (absent keep, `null` clears),
//! `If-Match` honoured; the owner, a manager or an admin only. Search terms
//! and list entries follow in the same transaction; `company.updated`
//! carries `{field: {from, to}}`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::company::{Company, CompanyChanges, CompanyFields, COMPANY};
use crate::{search_index, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    let mut changes: CompanyChanges = call.json()?;
    let custom = std::mem::take(&mut changes.custom_fields);
    super::super::require_edit(&p, current.fields.owner_user_id)?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let mut fields = CompanyFields::apply(&current.fields, changes)?;
    let (values, tx) =
        crm_records::write::custom_values(&app.store, &p, "company", &current.fields.custom_fields, custom, false, Tx::new()).await?;
    fields.custom_fields = values;
    if fields.owner_user_id != current.fields.owner_user_id {
        crm_records::write::check_owner(&app.store, p.tenant_id, fields.owner_user_id).await?;
    }
    let changes = super::super::changes(
        &serde_json::to_value(&current.fields).unwrap_or_default(),
        &serde_json::to_value(&fields).unwrap_or_default(),
    );
    if changes.is_empty() {
        return Ok(Reply::ok(&current).etag(current.version));
    }
    let next = Company { fields, updated_at: Timestamp::now(), version: current.version + 1, ..current.clone() };
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::COMPANY_UPDATED,
        crate::companies::subject(&next),
        json!({ "changes": changes }),
    )?;
    let tx = tx.put_if("company", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    let tx = search_index::write(tx, p.tenant_id, COMPANY, next.id, &current.fields.terms(), &next.fields.terms())?;
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::ok(&next).etag(next.version)),
        Err(StoreError::ConditionFailed { label }) if label == "company" => Err(AppError::PreconditionFailed),
        Err(StoreError::ConditionFailed { label }) if super::super::custom_conflict(&label).is_some() => {
            Err(super::super::custom_conflict(&label).unwrap_or(AppError::PreconditionFailed))
        }
        Err(e) => Err(e.into()),
    }
}
